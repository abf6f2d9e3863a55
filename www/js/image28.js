// The one 28×28 renderer: an image of the engine (784 grey bytes, row by row, 0 = background,
// 255 = full ink: an MNIST / Fashion-MNIST image, the engine's preprocessed drawing) on a canvas.

const SIDE = 28;
let tile = null; // a 28×28 canvas the image is put on before it is drawn at its scale

/**
 * Draws `pixels` (784 bytes; null: an empty image) onto `target` (a canvas or its 2-D context)
 * as a square of 28·scale canvas pixels at (0, 0), over what is there. ink:
 *   'light'  white on black, opaque: as MNIST is shown (the Draw page's preview)
 *   'dark'   black on white, opaque (the engine check page)
 *   'alpha'  black whose opacity is the pixel, elsewhere transparent: an image under pen strokes,
 *            which the engine reads from the alpha channel like the strokes
 * smooth: interpolate when scaled (default off: sharp pixels).
 */
export function drawImage28(target, pixels, { scale = 1, ink = 'light', smooth = false } = {}) {
  const ctx = target.getContext ? target.getContext('2d') : target;
  tile ??= Object.assign(document.createElement('canvas'), { width: SIDE, height: SIDE });
  const img = new ImageData(SIDE, SIDE);
  const d = img.data;
  for (let i = 0; i < SIDE * SIDE; i++) {
    const v = pixels ? pixels[i] : 0;
    const grey = ink === 'light' ? v : ink === 'dark' ? 255 - v : 0;
    d[4 * i] = d[4 * i + 1] = d[4 * i + 2] = grey;
    d[4 * i + 3] = ink === 'alpha' ? v : 255;
  }
  tile.getContext('2d').putImageData(img, 0, 0);
  ctx.save();
  ctx.imageSmoothingEnabled = smooth;
  if (smooth) ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(tile, 0, 0, SIDE * scale, SIDE * scale);
  ctx.restore();
}
