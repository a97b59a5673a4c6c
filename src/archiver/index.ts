export { main, runArchiver, archiverVersion, type CliIo } from './cli.js';
export { parseArchiverArgs, UsageError, HELP, USAGE, ARCHIVE_FORMATS, type ArchiverOptions, type ArchiveFormat, type ParsedArgs } from './args.js';
export { planArchive, type ArchivePlan, type ArchiveFile } from './collect.js';
export { outputPath, writeArchive } from './write-archive.js';
