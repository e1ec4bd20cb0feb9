package tflite

import (
	"fmt"

	"hybridgen/internal/onnxwrite"
)

// samePads returns ONNX pads [top, left, bottom, right] for TFLite padding
// (0 SAME, 1 VALID) given the NHWC input and output shapes: SAME puts the
// odd pixel at the end, as TensorFlow does.
func samePads(padding byte, in, out []int32, kh, kw, sh, sw, dh, dw int64) ([]int64, error) {
	if padding == 1 {
		return []int64{0, 0, 0, 0}, nil
	}
	if padding != 0 {
		return nil, fmt.Errorf("%w: padding %d", ErrUnsupported, padding)
	}
	th := max((int64(out[1])-1)*sh+(kh-1)*dh+1-int64(in[1]), 0)
	tw := max((int64(out[2])-1)*sw+(kw-1)*dw+1-int64(in[2]), 0)
	return []int64{th / 2, tw / 2, th - th/2, tw - tw/2}, nil
}

// conv is CONV_2D (filter [O, kh, kw, I]) or DEPTHWISE_CONV_2D (filter
// [1, kh, kw, C*multiplier]), with its bias and fused activation.
func (c *converter) conv(name string, o *Operator, depthwise bool) (string, error) {
	if len(o.Inputs) != 3 || !o.hasOptions {
		return "", fmt.Errorf("%w: want input, filter, bias and options", ErrModel)
	}
	x, f, w, bv, err := c.filterInputs(o)
	if err != nil {
		return "", err
	}
	opt := o.options
	// Conv2DOptions: padding, stride_w, stride_h, act, dilation_w, dilation_h.
	// DepthwiseConv2DOptions: padding, stride_w, stride_h, depth_multiplier, act, dilation_w, dilation_h.
	actField, dilField := 3, 4
	if depthwise {
		actField, dilField = 4, 5
	}
	sw, sh := int64(opt.int32Field(1, 1)), int64(opt.int32Field(2, 1))
	dw, dh := int64(opt.int32Field(dilField, 1)), int64(opt.int32Field(dilField+1, 1))
	kh, kw := int64(f.Shape[1]), int64(f.Shape[2])
	in, out := c.m.Tensors[o.Inputs[0]].Shape, c.m.Tensors[o.Outputs[0]].Shape
	pads, err := samePads(opt.byteField(0, 0), in, out, kh, kw, sh, sw, dh, dw)
	if err != nil {
		return "", err
	}
	cin := int64(in[3])
	var weight []float32
	var wdims []int64
	group := int64(1)
	if depthwise {
		cout := int64(f.Shape[3])
		// [1, kh, kw, cout] -> [cout, 1, kh, kw]
		weight = make([]float32, len(w))
		for y := range kh {
			for xx := range kw {
				for oc := range cout {
					weight[(oc*kh+y)*kw+xx] = w[(y*kw+xx)*cout+oc]
				}
			}
		}
		wdims, group = []int64{cout, 1, kh, kw}, cin
	} else {
		cout, ci := int64(f.Shape[0]), int64(f.Shape[3])
		// [cout, kh, kw, ci] -> [cout, ci, kh, kw]
		weight = make([]float32, len(w))
		for oc := range cout {
			for y := range kh {
				for xx := range kw {
					for i := range ci {
						weight[((oc*ci+i)*kh+y)*kw+xx] = w[((oc*kh+y)*kw+xx)*ci+i]
					}
				}
			}
		}
		wdims = []int64{cout, ci, kh, kw}
	}
	if int64(len(bv)) != wdims[0] {
		return "", fmt.Errorf("%w: bias of %d for %d channels", ErrModel, len(bv), wdims[0])
	}
	y := c.node(name+".conv", "Conv", []string{x, c.initializer(name+".weight", wdims, weight), c.initializer(name+".bias", []int64{wdims[0]}, bv)},
		onnxwrite.Ints("dilations", dh, dw), onnxwrite.Int("group", group), onnxwrite.Ints("kernel_shape", kh, kw),
		onnxwrite.Ints("pads", pads...), onnxwrite.Ints("strides", sh, sw))
	return c.activation(name, y, opt.byteField(actField, 0))
}

// avgPool is AVERAGE_POOL_2D; TensorFlow leaves SAME padding out of the mean.
func (c *converter) avgPool(name string, o *Operator) (string, error) {
	if !o.hasOptions {
		return "", fmt.Errorf("%w: no options", ErrModel)
	}
	x, err := c.value(o.Inputs[0])
	if err != nil {
		return "", err
	}
	opt := o.options // Pool2DOptions: padding, stride_w, stride_h, filter_width, filter_height, act.
	sw, sh := int64(opt.int32Field(1, 1)), int64(opt.int32Field(2, 1))
	kw, kh := int64(opt.int32Field(3, 1)), int64(opt.int32Field(4, 1))
	pads, err := samePads(opt.byteField(0, 0), c.m.Tensors[o.Inputs[0]].Shape, c.m.Tensors[o.Outputs[0]].Shape, kh, kw, sh, sw, 1, 1)
	if err != nil {
		return "", err
	}
	y := c.node(name+".pool", "AveragePool", []string{x}, onnxwrite.Int("count_include_pad", 0),
		onnxwrite.Ints("kernel_shape", kh, kw), onnxwrite.Ints("pads", pads...), onnxwrite.Ints("strides", sh, sw))
	return c.activation(name, y, opt.byteField(5, 0))
}

// resize is RESIZE_BILINEAR to the output tensor's size, with TensorFlow's
// coordinate convention (ResizeBilinearOptions: align_corners 2, half_pixel_centers 3).
func (c *converter) resize(name string, o *Operator) (string, error) {
	x, err := c.value(o.Inputs[0])
	if err != nil {
		return "", err
	}
	mode := "asymmetric"
	if o.hasOptions && o.options.boolField(2) {
		mode = "align_corners"
	} else if o.hasOptions && o.options.boolField(3) {
		mode = "half_pixel"
	}
	out := c.m.Tensors[o.Outputs[0]].Shape
	if len(out) != 4 {
		return "", fmt.Errorf("%w: output shape %v", ErrModel, out)
	}
	sizes := c.int64s(name+".sizes", 1, int64(out[3]), int64(out[1]), int64(out[2]))
	return c.node(name, "Resize", []string{x, "", "", sizes},
		onnxwrite.String("coordinate_transformation_mode", mode), onnxwrite.String("mode", "linear")), nil
}

// transposeConv is MediaPipe's Convolution2DTransposeBias: filter
// [O, kh, kw, I], bias [O], custom options TfLiteTransposeConvParams
// {padding (1 SAME, 2 VALID), stride_w, stride_h} as three int32.
func (c *converter) transposeConv(name string, o *Operator) (string, error) {
	p := o.CustomOptions
	if len(p) < 12 || len(o.Inputs) != 3 {
		return "", fmt.Errorf("%w: want 12 bytes of options and 3 inputs", ErrModel)
	}
	x, f, w, bv, err := c.filterInputs(o)
	if err != nil {
		return "", err
	}
	t := table{buf: p}
	padding, sw, sh := t.u32(0), int64(t.u32(4)), int64(t.u32(8))
	cout, kh, kw, cin := int64(f.Shape[0]), int64(f.Shape[1]), int64(f.Shape[2]), int64(f.Shape[3])
	in, out := c.m.Tensors[o.Inputs[0]].Shape, c.m.Tensors[o.Outputs[0]].Shape
	var pads []int64
	switch padding {
	case 1, 2:
		// The output is stride*(in-1)+k-total; TensorFlow trims total/2 at the start.
		th := max(sh*(int64(in[1])-1)+kh-int64(out[1]), 0)
		tw := max(sw*(int64(in[2])-1)+kw-int64(out[2]), 0)
		pads = []int64{th / 2, tw / 2, th - th/2, tw - tw/2}
	default:
		return "", fmt.Errorf("%w: transpose convolution padding %d", ErrUnsupported, padding)
	}
	// [cout, kh, kw, cin] -> ONNX ConvTranspose's [cin, cout, kh, kw]
	weight := make([]float32, len(w))
	for oc := range cout {
		for y := range kh {
			for xx := range kw {
				for i := range cin {
					weight[((i*cout+oc)*kh+y)*kw+xx] = w[((oc*kh+y)*kw+xx)*cin+i]
				}
			}
		}
	}
	return c.node(name, "ConvTranspose", []string{x, c.initializer(name+".weight", []int64{cin, cout, kh, kw}, weight), c.initializer(name+".bias", []int64{cout}, bv)},
		onnxwrite.Ints("kernel_shape", kh, kw), onnxwrite.Ints("pads", pads...), onnxwrite.Ints("strides", sh, sw)), nil
}

// filterInputs reads a convolution's operands: the input value, and the
// filter (4-D) and bias constants with their weights as float32.
func (c *converter) filterInputs(o *Operator) (x string, f *Tensor, w, bias []float32, err error) {
	if x, err = c.value(o.Inputs[0]); err != nil {
		return "", nil, nil, nil, err
	}
	f, okF := c.consts[o.Inputs[1]]
	b, okB := c.consts[o.Inputs[2]]
	if !okF || !okB || len(f.Shape) != 4 {
		return "", nil, nil, nil, fmt.Errorf("%w: filter or bias is not a 4-D constant", ErrUnsupported)
	}
	if w, err = f.Floats(); err != nil {
		return "", nil, nil, nil, fmt.Errorf("filter: %w", err)
	}
	if bias, err = b.Floats(); err != nil {
		return "", nil, nil, nil, fmt.Errorf("bias: %w", err)
	}
	return x, f, w, bias, nil
}
