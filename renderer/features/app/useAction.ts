import { useCallback, useState } from 'react';
import { errorMessage } from '../../api.js';

/** Run an async user action, tracking whether it is pending and the person-readable error it ended with. */
export function useAction<A extends unknown[]>(action: (...args: A) => Promise<void>) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(
    async (...args: A) => {
      setPending(true);
      setError(null);
      try {
        await action(...args);
      } catch (err) {
        setError(errorMessage(err));
      } finally {
        setPending(false);
      }
    },
    [action],
  );
  return { run, pending, error };
}
