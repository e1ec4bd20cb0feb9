package tfjs

import "fmt"

// UpscalerJS's ESRGAN slim package (@upscalerjs/esrgan-slim 1.0.0, MIT):
// one RDN layers model per scale under package/models/x<scale>/, input and
// output RGB in [0, 255].
const esrganSlimDoc = "ESRGAN slim %dx (UpscalerJS @upscalerjs/esrgan-slim 1.0.0, MIT), converted from TF.js by hybridgen: image is RGB in [0, 255], NCHW; upscaled is RGB in [0, 255] (not clipped)"

// ESRGANSlim returns the converter of the npm tarball of
// @upscalerjs/esrgan-slim into the ONNX graph of its scale x model.
func ESRGANSlim(scale int64) func([]byte) ([]byte, error) {
	return func(tgz []byte) ([]byte, error) {
		files, err := ReadTarball(tgz, fmt.Sprintf("package/models/x%d/", scale))
		if err != nil {
			return nil, err
		}
		return ConvertLayersModel(files, scale, fmt.Sprintf(esrganSlimDoc, scale))
	}
}
