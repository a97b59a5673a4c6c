/**
 * Runs once before the suite. `npm test` has already compiled `src/` to `dist/` (worker
 * threads load compiled JavaScript). Fixture builders (ONNX models, archives) are registered
 * here so every test file finds them ready, and so they stay out of git.
 */
export default async function setup(): Promise<void> {
  // Fixture builders are added here as features land.
}
