/**
 * `--start` inside a container. `torchserve --start` detaches and returns at once; KServe's
 * `kserve-torchserve` runtime runs exactly that as the container's command
 * (`torchserve --start --model-store=… --ts-config=…`), and the TorchServe image kept the
 * container alive with a wrapper process and `tail -f /dev/null`. nserve has no wrapper: when it
 * is PID 1 (the container's init), or runs inside a Kubernetes pod, a detached child would end
 * the container with its parent, so `--start` serves in the foreground instead. Pure.
 */

/** Why `--start` stays in the foreground, or undefined to detach as usual. */
export function containerForegroundReason(env: Record<string, string | undefined>, pid: number): string | undefined {
  if (pid === 1) return '--start: serving in the foreground (nserve is PID 1: a detached server would end the container)';
  if ((env.KUBERNETES_SERVICE_HOST ?? '') !== '') {
    return '--start: serving in the foreground (inside a Kubernetes pod, KUBERNETES_SERVICE_HOST is set: a detached server would end the container)';
  }
  return undefined;
}
