import { createRoot } from 'react-dom/client';
import { StrictMode } from 'react';
import { z } from 'zod';
import { hasLaunchCode, signIn } from './api.js';
import { App, startLoading } from './features/app/App.js';
import './styles.css';

// zod probes `new Function` to compile fast parsers; under our CSP that probe is reported as a violation.
z.config({ jitless: true });

const root = createRoot(document.getElementById('root')!);

/** Browser mode before sign-in: what to do, and nothing else (no API call would be answered). */
function SignInNeeded({ message }: { message: string }) {
  return (
    <main className="sign-in-needed" data-testid="sign-in-needed" style={{ padding: '2rem', maxWidth: '40rem' }}>
      <h1>Sightline</h1>
      <p>{message}</p>
      <p className="small">
        Each URL printed by <code>sightline serve</code> (or opened by <code>npm start</code>) signs in one browser tab, once.
      </p>
    </main>
  );
}

/** Whether a boot has signed in before (a later one, after a restart of the server, reads everything again). */
let booted = false;

async function boot() {
  // Electron's preload needs no sign-in; browser mode swaps the launch URL's one-time code first.
  const result = window.sightline ? ({ ok: true } as const) : await signIn();
  // The first reads go out now, while React renders the app, not after its first commit.
  if (result.ok) startLoading(booted);
  booted ||= result.ok;
  root.render(
    result.ok ? (
      <StrictMode>
        <App />
      </StrictMode>
    ) : (
      <SignInNeeded message={result.message} />
    ),
  );
}

if (!window.sightline) {
  // A launch URL opened in a tab that is already showing Sightline changes only the fragment: sign in with it.
  window.addEventListener('hashchange', () => {
    // The router then reads the address again, now without the code.
    if (hasLaunchCode()) void boot().then(() => window.dispatchEvent(new HashChangeEvent('hashchange')));
  });
  window.addEventListener('sightline:signed-out', () => root.render(<SignInNeeded message="The server no longer knows this tab (it was restarted?). Open the URL it printed." />));
}
void boot();
