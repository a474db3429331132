/**
 * Line plots as PNG files (lib/io/png.ts), for benchmark curves: an RGB canvas with a framed
 * plot area, linear or log axes with ticks, grid lines and numeric labels (bitmap-font.ts), one
 * polyline with markers per series, a legend, a title and axis labels. Deliberately minimal:
 * enough to read a curve, nothing more.
 */
import { writeFile } from 'node:fs/promises';

import { encodePng } from '../io/png';
import type { PngImage } from '../io/png';
import { GLYPH_ADVANCE, GLYPH_HEIGHT, GLYPH_WIDTH, glyphBits, textWidth } from './bitmap-font';

export type Rgb = readonly [number, number, number];
export type AxisScale = 'linear' | 'log';

export interface PlotPoint {
  x: number;
  y: number;
}

export interface PlotSeries {
  label: string;
  /** Drawn in x order; points that a log axis cannot show (<= 0) or that are not finite are left out. */
  points: readonly PlotPoint[];
  /** Default: a color of the built-in palette, by series index. */
  color?: Rgb;
}

export interface LinePlotOptions {
  /** Pixels; default 800 x 520. */
  width?: number;
  height?: number;
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Default 'linear'. */
  xScale?: AxisScale;
  /** Default 'linear'. */
  yScale?: AxisScale;
  /** Labelled x positions; default: every distinct x of the data. */
  xTicks?: readonly number[];
  /** Pixels per font cell of labels; default 2. */
  textScale?: number;
}

const WHITE: Rgb = [255, 255, 255];
const BLACK: Rgb = [0, 0, 0];
const GRID: Rgb = [222, 222, 222];
const MINOR_GRID: Rgb = [242, 242, 242];
/** Blue, orange, green, red, purple (distinguishable, print as different grays). */
const PALETTE: readonly Rgb[] = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
];
const MAX_SIDE = 8192;

/** An RGB pixel buffer with the few drawing operations the plot needs; everything is clipped to the image. */
export class Canvas {
  readonly pixels: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb = WHITE,
  ) {
    this.pixels = new Uint8Array(width * height * 3);
    for (let i = 0; i < width * height; i++) this.pixels.set(background, i * 3);
  }

  set(x: number, y: number, color: Rgb): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    this.pixels.set(color, (y * this.width + x) * 3);
  }

  get(x: number, y: number): Rgb {
    const i = (y * this.width + x) * 3;
    return [this.pixels[i], this.pixels[i + 1], this.pixels[i + 2]];
  }

  fillRect(x: number, y: number, w: number, h: number, color: Rgb): void {
    for (let yy = Math.round(y); yy < Math.round(y + h); yy++) {
      for (let xx = Math.round(x); xx < Math.round(x + w); xx++) this.set(xx, yy, color);
    }
  }

  hline(x0: number, x1: number, y: number, color: Rgb): void {
    for (let x = Math.round(Math.min(x0, x1)); x <= Math.round(Math.max(x0, x1)); x++) this.set(x, y, color);
  }

  vline(x: number, y0: number, y1: number, color: Rgb): void {
    for (let y = Math.round(Math.min(y0, y1)); y <= Math.round(Math.max(y0, y1)); y++) this.set(x, y, color);
  }

  /** A straight line `thickness` pixels wide (a square brush stepped along it). */
  line(x0: number, y0: number, x1: number, y1: number, color: Rgb, thickness = 1): void {
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
    const r = (thickness - 1) / 2;
    for (let i = 0; i <= steps; i++) {
      const x = x0 + ((x1 - x0) * i) / steps;
      const y = y0 + ((y1 - y0) * i) / steps;
      this.fillRect(x - r, y - r, thickness, thickness, color);
    }
  }

  /** Text with its top-left corner at (x, y), `scale` pixels per font cell. */
  text(x: number, y: number, text: string, color: Rgb, scale = 2): void {
    for (let c = 0; c < text.length; c++) {
      const bits = glyphBits(text[c]);
      const left = Math.round(x) + c * GLYPH_ADVANCE * scale;
      for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
        for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
          if (bits[gy * GLYPH_WIDTH + gx]) this.fillRect(left + gx * scale, Math.round(y) + gy * scale, scale, scale, color);
        }
      }
    }
  }

  toPng(): PngImage {
    return { width: this.width, height: this.height, channels: 3, pixels: this.pixels };
  }
}

/** A number as a short label: 8, 0.5, 1000, 2.5e+6. */
export function formatTick(value: number): string {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e5 || magnitude < 1e-3) return value.toExponential(0).replace('e+', 'e');
  return String(Number(value.toPrecision(3)));
}

/** Linear ticks: about `count` round steps (1, 2 or 5 x 10^k) covering [lo, hi]. */
function linearTicks(lo: number, hi: number, count: number): number[] {
  const raw = (hi - lo) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

interface Axis {
  scale: AxisScale;
  lo: number;
  hi: number;
  /** Pixel of lo and of hi. */
  from: number;
  to: number;
}

function project(axis: Axis, value: number): number {
  const f = axis.scale === 'log' ? (Math.log10(value) - Math.log10(axis.lo)) / (Math.log10(axis.hi) - Math.log10(axis.lo)) : (value - axis.lo) / (axis.hi - axis.lo);
  return axis.from + f * (axis.to - axis.from);
}

function usable(scale: AxisScale, value: number): boolean {
  return Number.isFinite(value) && (scale === 'linear' || value > 0);
}

/** [lo, hi] of the data on one axis, widened to whole decades (log) or round values (linear), never empty. */
function axisRange(values: readonly number[], scale: AxisScale, pad: boolean): [number, number] {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (scale === 'log') {
    if (pad) {
      lo = 10 ** Math.floor(Math.log10(lo) + 1e-9);
      hi = 10 ** Math.ceil(Math.log10(hi) - 1e-9);
    }
    if (hi <= lo) [lo, hi] = [lo / 2, hi * 2];
    return [lo, hi];
  }
  if (pad) {
    lo = Math.min(0, lo);
    const ticks = linearTicks(lo, hi, 5);
    hi = Math.max(hi, ticks[ticks.length - 1]);
  }
  if (hi <= lo) [lo, hi] = [lo - 1, hi + 1];
  return [lo, hi];
}

function checkSize(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 200 || value > MAX_SIDE) throw new RangeError(`renderLinePlot: options.${name} must be an integer in [200, ${MAX_SIDE}], received ${value}`);
  return value;
}

/** Draws the series as a line plot on a new canvas. */
export function renderLinePlot(series: readonly PlotSeries[], options: LinePlotOptions = {}): Canvas {
  const width = checkSize('width', options.width ?? 800);
  const height = checkSize('height', options.height ?? 520);
  const xScale = options.xScale ?? 'linear';
  const yScale = options.yScale ?? 'linear';
  const s = options.textScale ?? 2;
  const lineHeight = GLYPH_HEIGHT * s;
  const shown = series.map((one) => one.points.filter((p) => usable(xScale, p.x) && usable(yScale, p.y)).sort((a, b) => a.x - b.x));
  const xs = shown.flat().map((p) => p.x);
  const ys = shown.flat().map((p) => p.y);
  if (xs.length === 0) throw new RangeError('renderLinePlot: no point can be drawn (each series is empty, or every value is <= 0 on a log axis)');
  const xTicks = (options.xTicks ?? [...new Set(xs)]).filter((x) => usable(xScale, x));
  const [xLo, xHi] = axisRange([...xs, ...xTicks], xScale, false);
  const [yLo, yHi] = axisRange(ys, yScale, true);

  // Layout: title on top, y tick labels on the left, x tick labels and the x label below.
  const yTickValues = yScale === 'log' ? decades(yLo, yHi) : linearTicks(yLo, yHi, 5);
  const labelWidth = Math.max(...yTickValues.map((v) => textWidth(formatTick(v), s)));
  const left = labelWidth + 3 * s + 12;
  const titleLines = options.title ? wrap(options.title, width - 16, s) : [];
  const top = lineHeight / 2 + titleLines.length * (lineHeight + 6) + 2 * lineHeight + 10;
  const bottom = height - (3 * lineHeight + 16);
  const right = width - 24;
  const canvas = new Canvas(width, height);
  // Inset the data from the frame on x so that the end markers are not cut in half.
  const inset = 12;
  const xAxis: Axis = { scale: xScale, lo: xLo, hi: xHi, from: left + inset, to: right - inset };
  const yAxis: Axis = { scale: yScale, lo: yLo, hi: yHi, from: bottom, to: top };

  // Grid lines and ticks
  if (yScale === 'log') {
    for (const decade of yTickValues.slice(0, -1)) {
      for (let m = 2; m < 10; m++) canvas.hline(left + 1, right - 1, project(yAxis, decade * m), MINOR_GRID);
    }
  }
  for (const v of yTickValues) {
    const y = project(yAxis, v);
    canvas.hline(left + 1, right - 1, y, GRID);
    canvas.hline(left - 5, left, y, BLACK);
    const label = formatTick(v);
    canvas.text(left - 8 - textWidth(label, s), y - lineHeight / 2, label, BLACK, s);
  }
  for (const v of xTicks) {
    const x = project(xAxis, v);
    canvas.vline(x, top + 1, bottom - 1, GRID);
    canvas.vline(x, bottom, bottom + 5, BLACK);
    const label = formatTick(v);
    canvas.text(x - textWidth(label, s) / 2, bottom + 9, label, BLACK, s);
  }
  // Frame
  canvas.hline(left, right, top, BLACK);
  canvas.hline(left, right, bottom, BLACK);
  canvas.vline(left, top, bottom, BLACK);
  canvas.vline(right, top, bottom, BLACK);

  // Labels
  titleLines.forEach((line, i) => canvas.text((width - textWidth(line, s)) / 2, lineHeight / 2 + i * (lineHeight + 6), line, BLACK, s));
  if (options.yLabel) canvas.text(Math.max(4, left - labelWidth - 3 * s - 8), top - 2 * lineHeight - 2, options.yLabel, BLACK, s);
  if (options.xLabel) canvas.text((left + right - textWidth(options.xLabel, s)) / 2, bottom + 9 + 2 * lineHeight, options.xLabel, BLACK, s);

  // Series: lines first, markers on top, then the legend (top left, inside the frame).
  const colors = series.map((one, i) => one.color ?? PALETTE[i % PALETTE.length]);
  shown.forEach((points, i) => {
    for (let j = 1; j < points.length; j++) {
      canvas.line(project(xAxis, points[j - 1].x), project(yAxis, points[j - 1].y), project(xAxis, points[j].x), project(yAxis, points[j].y), colors[i], 3);
    }
  });
  shown.forEach((points, i) => {
    for (const p of points) marker(canvas, project(xAxis, p.x), project(yAxis, p.y), i, colors[i]);
  });
  const legendWidth = Math.max(...series.map((one) => textWidth(one.label, s))) + 48;
  canvas.fillRect(left + 8, top + 8, legendWidth, series.length * (lineHeight + 8) + 8, WHITE);
  series.forEach((one, i) => {
    const y = top + 16 + i * (lineHeight + 8) + lineHeight / 2;
    canvas.line(left + 16, y, left + 40, y, colors[i], 3);
    marker(canvas, left + 28, y, i, colors[i]);
    canvas.text(left + 48, y - lineHeight / 2, one.label, BLACK, s);
  });
  return canvas;
}

/** Words of `text` in lines at most `maxWidth` pixels wide (a word longer than that gets a line of its own). */
function wrap(text: string, maxWidth: number, scale: number): string[] {
  const lines: string[] = [];
  for (const word of text.split(' ')) {
    const last = lines.length - 1;
    if (last >= 0 && textWidth(`${lines[last]} ${word}`, scale) <= maxWidth) lines[last] = `${lines[last]} ${word}`;
    else lines.push(word);
  }
  return lines;
}

/** 10^k for every k from lo's decade to hi's. */
function decades(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let k = Math.floor(Math.log10(lo) + 1e-9); k <= Math.ceil(Math.log10(hi) - 1e-9); k++) out.push(10 ** k);
  return out;
}

/** Series 0: a filled square, 1: a filled diamond, 2: a hollow square, ... (distinct without color). */
function marker(canvas: Canvas, x: number, y: number, index: number, color: Rgb): void {
  const r = 5;
  switch (index % 3) {
    case 0:
      canvas.fillRect(x - r, y - r, 2 * r + 1, 2 * r + 1, color);
      break;
    case 1:
      for (let dy = -r - 1; dy <= r + 1; dy++) canvas.hline(x - (r + 1 - Math.abs(dy)), x + (r + 1 - Math.abs(dy)), y + dy, color);
      break;
    default:
      canvas.fillRect(x - r, y - r, 2 * r + 1, 2 * r + 1, color);
      canvas.fillRect(x - r + 2, y - r + 2, 2 * r - 3, 2 * r - 3, WHITE);
  }
}

/** The plot as PNG file bytes. */
export function linePlotPng(series: readonly PlotSeries[], options: LinePlotOptions = {}): Buffer {
  return encodePng(renderLinePlot(series, options).toPng());
}

/** Writes the plot to `file` as a PNG. */
export async function writeLinePlot(file: string, series: readonly PlotSeries[], options: LinePlotOptions = {}): Promise<void> {
  await writeFile(file, linePlotPng(series, options));
}
