// The least a React page can be: 40 grid cells and nothing else (bench/floor.ts builds it with the renderer's Vite).
import { createRoot } from 'react-dom/client';

function Grid() {
  return (
    <div>
      {Array.from({ length: 40 }, (_, i) => (
        <div key={i} data-testid="grid-cell">{`IMG_${String(i).padStart(5, '0')}.jpg`}</div>
      ))}
    </div>
  );
}

createRoot(document.getElementById('root')!).render(<Grid />);
