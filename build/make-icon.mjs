// Regenerates build/icon.png (512x512, what electron-builder derives every platform's icon from) from icon.svg:
// `node build/make-icon.mjs`.
import sharp from 'sharp';

const dir = new URL('.', import.meta.url);
await sharp(new URL('icon.svg', dir).pathname, { density: 144 }).resize(512, 512).png({ compressionLevel: 9 }).toFile(new URL('icon.png', dir).pathname);
