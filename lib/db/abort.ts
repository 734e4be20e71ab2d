/**
 * A signal that aborts when any of `signals` does, with the first one's
 * reason: `AbortSignal.any` where the runtime has it, composed by hand where
 * it does not (@edge-runtime/vm, the runtime Vercel emulates Edge with, has
 * none: issue 10's Edge proof found the Supabase adapter failing every call there).
 */
export function anySignal(
  signals: readonly AbortSignal[],
  native: ((signals: AbortSignal[]) => AbortSignal) | undefined = AbortSignal.any?.bind(AbortSignal),
): AbortSignal {
  if (native) return native([...signals]);
  const controller = new AbortController();
  const aborted = signals.find((s) => s.aborted);
  if (aborted) {
    controller.abort(aborted.reason);
    return controller.signal;
  }
  const onAbort = (event: Event) => {
    controller.abort((event.target as AbortSignal).reason);
    for (const s of signals) s.removeEventListener('abort', onAbort);
  };
  for (const s of signals) s.addEventListener('abort', onAbort, { once: true });
  return controller.signal;
}
