/**
 * ImageProcessorConfig.fromJson: ViTImageProcessor's defaults for absent fields (VideoMAE's for
 * VideoMAE processor types), the forms of `size`, `crop_size` and `image_mean` / `image_std` HF
 * accepts, and an ArgumentError naming the field for every bad value.
 */
import { ArgumentError, ImageProcessorConfig } from '../../lib';

describe('ImageProcessorConfig.fromJson', () => {
  test('absent fields take ViTImageProcessor defaults', () => {
    const config = ImageProcessorConfig.fromJson({});
    expect({ ...config }).toEqual({
      doResize: true,
      size: { height: 224, width: 224 },
      resample: 'bilinear',
      doCenterCrop: false,
      cropSize: { height: 224, width: 224 },
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
    expect(ImageProcessorConfig.fromJson({ size: 384, image_processor_type: 'ViTImageProcessor' }).size).toEqual({ height: 384, width: 384 });
  });

  test("a TimeSformer preprocessor_config.json (VideoMAEImageProcessor, as on the Hub)", () => {
    const config = ImageProcessorConfig.fromJson({
      crop_size: { height: 224, width: 224 },
      do_center_crop: true,
      do_normalize: true,
      do_rescale: true,
      do_resize: true,
      image_mean: [0.45, 0.45, 0.45],
      image_processor_type: 'VideoMAEImageProcessor',
      image_std: [0.225, 0.225, 0.225],
      resample: 2,
      rescale_factor: 0.00392156862745098,
      size: { shortest_edge: 224 },
    });
    expect({ ...config }).toEqual({
      doResize: true,
      size: { shortestEdge: 224 },
      resample: 'bilinear',
      doCenterCrop: true,
      cropSize: { height: 224, width: 224 },
      doRescale: true,
      rescaleFactor: 0.00392156862745098,
      doNormalize: true,
      imageMean: [0.45, 0.45, 0.45],
      imageStd: [0.225, 0.225, 0.225],
    });
  });

  test('{ shortest_edge } and center cropping work whatever the processor type', () => {
    const config = ImageProcessorConfig.fromJson({ size: { shortest_edge: 96 }, do_center_crop: true, crop_size: { height: 80, width: 64 } });
    expect(config.size).toEqual({ shortestEdge: 96 });
    expect(config.doCenterCrop).toBe(true);
    expect(config.cropSize).toEqual({ height: 80, width: 64 });
  });

  test('VideoMAE processor types take VideoMAEImageProcessor defaults; an integer size is the shortest edge', () => {
    for (const type of [{ image_processor_type: 'VideoMAEImageProcessor' }, { feature_extractor_type: 'VideoMAEFeatureExtractor' }]) {
      const defaults = ImageProcessorConfig.fromJson(type);
      expect([defaults.size, defaults.doCenterCrop, defaults.cropSize]).toEqual([{ shortestEdge: 224 }, true, { height: 224, width: 224 }]);
      expect([defaults.resample, defaults.rescaleFactor, defaults.imageMean, defaults.imageStd]).toEqual(['bilinear', 1 / 255, [0.5, 0.5, 0.5], [0.5, 0.5, 0.5]]);
      expect(ImageProcessorConfig.fromJson({ ...type, size: 160 }).size).toEqual({ shortestEdge: 160 });
      expect(ImageProcessorConfig.fromJson({ ...type, size: { height: 160, width: 128 } }).size).toEqual({ height: 160, width: 128 });
      expect(ImageProcessorConfig.fromJson({ ...type, do_center_crop: false }).doCenterCrop).toBe(false);
    }
  });

  test('an integer crop_size is square (whatever the type); null means the default', () => {
    expect(ImageProcessorConfig.fromJson({ crop_size: 192 }).cropSize).toEqual({ height: 192, width: 192 });
    expect(ImageProcessorConfig.fromJson({ image_processor_type: 'VideoMAEImageProcessor', crop_size: 192 }).cropSize).toEqual({ height: 192, width: 192 });
    expect(ImageProcessorConfig.fromJson({ crop_size: null }).cropSize).toEqual({ height: 224, width: 224 });
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
    const video = ImageProcessorConfig.fromJson({ size: { shortest_edge: 224 }, do_center_crop: true });
    expect(Object.isFrozen(video.size) && Object.isFrozen(video.cropSize)).toBe(true);
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
    ['size an array', { size: [224, 224] }, 'size', 'expected { height, width }, { shortest_edge } or an integer, received [224,224]'],
    ['size an empty object', { size: {} }, 'size', 'expected { height, width }, { shortest_edge } or an integer, received {}'],
    ['size a string', { size: '224' }, 'size', 'received "224"'],
    ['size.shortest_edge zero', { size: { shortest_edge: 0 } }, 'size.shortest_edge', 'expected an integer from 1 to 16384, received 0'],
    ['size.shortest_edge fractional', { size: { shortest_edge: 223.5 } }, 'size.shortest_edge', 'received 223.5'],
    ['size.shortest_edge too large', { size: { shortest_edge: 20000 } }, 'size.shortest_edge', 'from 1 to 16384, received 20000'],
    ['size.shortest_edge a string', { size: { shortest_edge: '224' } }, 'size.shortest_edge', 'received "224"'],
    ['size.shortest_edge null', { size: { shortest_edge: null } }, 'size.shortest_edge', 'received null'],
    ['VideoMAE integer size zero', { image_processor_type: 'VideoMAEImageProcessor', size: 0 }, 'size', 'expected an integer from 1 to 16384, received 0'],
    [
      'size with longest_edge',
      { size: { shortest_edge: 224, longest_edge: 448 } },
      'size.longest_edge',
      'longest_edge resizing is not supported (only { height, width } or { shortest_edge })',
    ],
    ['size longest_edge alone', { size: { longest_edge: 448 } }, 'size.longest_edge', 'longest_edge resizing is not supported'],
    ['size mixing both forms', { size: { height: 224, width: 224, shortest_edge: 224 } }, 'size', 'not a mix of them'],
    ['do_center_crop a string', { do_center_crop: 'true' }, 'do_center_crop', 'expected true or false, received "true"'],
    ['crop_size zero', { do_center_crop: true, crop_size: 0 }, 'crop_size', 'expected an integer from 1 to 16384, received 0'],
    ['crop_size too large', { do_center_crop: true, crop_size: 20000 }, 'crop_size', 'from 1 to 16384, received 20000'],
    ['crop_size.height zero', { do_center_crop: true, crop_size: { height: 0, width: 224 } }, 'crop_size.height', 'received 0'],
    ['crop_size.width fractional', { do_center_crop: true, crop_size: { height: 224, width: 223.5 } }, 'crop_size.width', 'received 223.5'],
    ['crop_size.width missing', { do_center_crop: true, crop_size: { height: 224 } }, 'crop_size.width', 'received undefined'],
    [
      'crop_size shortest_edge',
      { do_center_crop: true, crop_size: { shortest_edge: 224 } },
      'crop_size',
      'expected { height, width } or an integer, received {"shortest_edge":224}',
    ],
    ['crop_size an array', { do_center_crop: true, crop_size: [224, 224] }, 'crop_size', 'received [224,224]'],
    ['crop_size a string', { do_center_crop: true, crop_size: '224' }, 'crop_size', 'received "224"'],
    ['crop_size bad without do_center_crop', { crop_size: { height: -1, width: 2 } }, 'crop_size.height', 'received -1'],
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
