/**
 * Center cropping of 8-bit images with the semantics of transformers' image_transforms.center_crop
 * (which VideoMAEImageProcessor applies to the uint8 image after resizing, before rescaling).
 */
import type { ImageSize } from './image-config';
import type { Channels, RawImage } from './raw-image';
import { checkRawImage } from './raw-image';
import { checkSize } from './resize';

/**
 * Where output index 0 reads from along an axis of `side` pixels cropped to `crop`:
 * floor((side - crop) / 2), Python's (side - crop) // 2. Negative when the crop is larger than
 * the image: transformers then pads the image with ceil((crop - side) / 2) zeros before it
 * (the rest after it) and crops from 0, which is the same as reading input index i + offset,
 * and zero outside the image.
 */
export function cropOffset(side: number, crop: number): number {
  return Math.floor((side - crop) / 2);
}

/**
 * Crops `size` out of the middle of an 8-bit image, [height, width, C] -> [size.height,
 * size.width, C], like transformers' center_crop: the crop starts at top = (height -
 * size.height) // 2 and left = (width - size.width) // 2 (rounded down, so an odd margin leaves
 * one more row / column below / right of the crop than above / left of it). Along an axis where
 * the crop is larger than the image, the image is padded with zero bytes, ceil of half the
 * difference before it and floor after it, so the output is always `size`. Returns `image`
 * itself when the size is unchanged.
 */
export function centerCrop<C extends Channels>(image: RawImage<C>, size: ImageSize): RawImage<C> {
  const { width, height, channels } = checkRawImage('image', image);
  const target = checkSize(size);
  if (target.width === width && target.height === height) return image;
  const top = cropOffset(height, target.height);
  const left = cropOffset(width, target.width);
  const out = new Uint8Array(target.height * target.width * channels);
  // Output columns x0 .. x1 - 1 read input columns x0 + left .. x1 - 1 + left; the rest stay 0.
  const x0 = Math.max(0, -left);
  const x1 = Math.min(target.width, width - left);
  const y0 = Math.max(0, -top);
  const y1 = Math.min(target.height, height - top);
  for (let y = y0; y < y1; y++) {
    const src = ((y + top) * width + x0 + left) * channels;
    out.set(image.data.subarray(src, src + (x1 - x0) * channels), (y * target.width + x0) * channels);
  }
  return { data: out, width: target.width, height: target.height, channels: image.channels };
}
