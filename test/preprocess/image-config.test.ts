/**
 * ImageProcessorConfig.fromJson: ViTImageProcessor's defaults for absent fields, the forms of
 * `size` and `image_mean` / `image_std` HF accepts, and an ArgumentError naming the field for
 * every bad value.
 */
import { ArgumentError, ImageProcessorConfig } from '../../lib';

describe('ImageProcessorConfig.fromJson', () => {
  test('absent fields take ViTImageProcessor defaults', () => {
    const config = ImageProcessorConfig.fromJson({});
    expect({ ...config }).toEqual({
      doResize: true,
      size: { height: 224, width: 224 },
      resample: 'bilinear',
      doRescale: true,
      rescaleFactor: 1 / 255,
      doNormalize: true,
      imageMean: [0.5, 0.5, 0.5],
      imageStd: [0.5, 0.5, 0.5],
    });
    expect(ImageProcessorConfig.fromJson()).toEqual(config);
  });

  test('a full ViT preprocessor_config.json (as saved by transformers)', () => {
    const config = ImageProcessorConfig.fromJson({
      do_normalize: true,
      do_rescale: false,
      do_resize: false,
      image_mean: [0.485, 0.456, 0.406],
      image_processor_type: 'ViTImageProcessor',
      image_std: [0.229, 0.224, 0.225],
      resample: 3,
      rescale_factor: 0.00392156862745098,
      size: { height: 384, width: 320 },
    });
    expect(config.size).toEqual({ height: 384, width: 320 });
    expect(config.resample).toBe('bicubic');
    expect([config.doResize, config.doRescale, config.doNormalize]).toEqual([false, false, true]);
    expect(config.imageMean).toEqual([0.485, 0.456, 0.406]);
    expect(config.imageStd).toEqual([0.229, 0.224, 0.225]);
  });

  test('an integer size (older configs: "size": 224) is square', () => {
    expect(ImageProcessorConfig.fromJson({ size: 384 }).size).toEqual({ height: 384, width: 384 });
  });

  test('one number for image_mean / image_std applies to every channel; null means the default', () => {
    const config = ImageProcessorConfig.fromJson({ image_mean: 0.25, image_std: null, size: null });
    expect(config.imageMean).toEqual([0.25, 0.25, 0.25]);
    expect(config.imageStd).toEqual([0.5, 0.5, 0.5]);
    expect(config.size).toEqual({ height: 224, width: 224 });
  });

  test('the config is frozen', () => {
    const config = ImageProcessorConfig.fromJson({});
    expect(Object.isFrozen(config) && Object.isFrozen(config.size) && Object.isFrozen(config.imageMean)).toBe(true);
  });
});

describe('ImageProcessorConfig.fromJson errors name the field', () => {
  test.each<[string, unknown, string, string]>([
    ['not an object', [1, 2], 'config', 'expected a preprocessor_config.json object, received [1,2]'],
    ['null', null, 'config', 'received null'],
    ['do_resize a string', { do_resize: 'yes' }, 'do_resize', 'expected true or false, received "yes"'],
    ['do_normalize null', { do_normalize: null }, 'do_normalize', 'received null'],
    ['size.height zero', { size: { height: 0, width: 4 } }, 'size.height', 'expected an integer from 1 to 16384, received 0'],
    ['size.width missing', { size: { height: 4 } }, 'size.width', 'received undefined'],
    ['size too large', { size: 100000 }, 'size', 'from 1 to 16384, received 100000'],
    ['size fractional', { size: { height: 2.5, width: 4 } }, 'size.height', 'received 2.5'],
    ['size shortest_edge', { size: { shortest_edge: 224 } }, 'size', 'shortest_edge / longest_edge resizing is not supported'],
    ['size an array', { size: [224, 224] }, 'size', 'expected { height, width } or an integer, received [224,224]'],
    ['resample LANCZOS', { resample: 1 }, 'resample', 'expected 2 (BILINEAR) or 3 (BICUBIC), received 1 (LANCZOS, not supported)'],
    ['resample NEAREST', { resample: 0 }, 'resample', 'received 0 (NEAREST, not supported)'],
    ['resample a string', { resample: 'bilinear' }, 'resample', 'received "bilinear"'],
    ['rescale_factor negative', { rescale_factor: -1 }, 'rescale_factor', 'expected a positive finite number, received -1'],
    ['rescale_factor null', { rescale_factor: null }, 'rescale_factor', 'received null'],
    ['image_mean of 4', { image_mean: [0.5, 0.5, 0.5, 0.5] }, 'image_mean', 'expected 3 numbers (one per RGB channel) or one number'],
    ['image_mean entry a string', { image_mean: [0.5, '0.5', 0.5] }, 'image_mean[1]', 'expected a finite number, received "0.5"'],
    ['image_std zero', { image_std: [0.5, 0.5, 0] }, 'image_std[2]', 'expected a finite, non-zero number, received 0'],
    ['image_std scalar zero', { image_std: 0 }, 'image_std', 'non-zero number, received 0'],
    ['image_std NaN', { image_std: [NaN, 1, 1] }, 'image_std[0]', 'received NaN'],
    ['do_center_crop', { do_center_crop: true, crop_size: 224 }, 'do_center_crop', 'center cropping is not part of ViTImageProcessor'],
  ])('%s', (_name, json, param, message) => {
    let error: unknown;
    try {
      ImageProcessorConfig.fromJson(json as Record<string, unknown>);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ArgumentError);
    expect((error as ArgumentError).param).toBe(param);
    expect((error as ArgumentError).message).toContain(message);
  });
});
