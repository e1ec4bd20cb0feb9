package tflite

import (
	"fmt"

	"hybridgen/internal/tfjs"
)

// MediaPipe's selfie segmentation package (@mediapipe/selfie_segmentation
// 0.1.1675465747, Apache-2.0): the general model, input RGB 256x256 in
// [0, 1], output the person's probability per pixel.
const selfieDoc = "MediaPipe Selfie Segmentation, general model (npm @mediapipe/selfie_segmentation 0.1.1675465747, Apache-2.0), converted from TFLite by hybridgen: image is RGB in [0, 1], NCHW, 256x256; mask is the probability that a pixel belongs to a person, 256x256"

// SelfieFile is the general (square) model's path in the package tarball.
const SelfieFile = "package/selfie_segmentation.tflite"

// MediaPipeSelfie converts the npm tarball of @mediapipe/selfie_segmentation
// into the ONNX graph of its general model.
func MediaPipeSelfie(tgz []byte) ([]byte, error) {
	files, err := tfjs.ReadTarball(tgz, "package/")
	if err != nil {
		return nil, err
	}
	buf, ok := files["selfie_segmentation.tflite"]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrMissing, SelfieFile)
	}
	return ConvertSegmenter(buf, selfieDoc)
}
