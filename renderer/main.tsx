import { createRoot } from 'react-dom/client';
import { StrictMode } from 'react';
import { z } from 'zod';
import { App } from './features/app/App.js';
import './styles.css';

// zod probes `new Function` to compile fast parsers; under our CSP that probe is reported as a violation.
z.config({ jitless: true });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
