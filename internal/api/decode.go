package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"
)

// decodeJSON decodes exactly one JSON object from r into dst, refusing
// unknown fields, wrong types, trailing data and bodies over maxBytes
// (r must come from http.MaxBytesReader for the size check to apply; the
// check also runs on plain readers by counting). Every failure is a
// *RequestError naming the field ("body" when no field is at fault).
func decodeJSON(r io.Reader, maxBytes int64, dst any) error {
	data, err := io.ReadAll(&io.LimitedReader{R: r, N: maxBytes + 1})
	switch {
	case err != nil:
		return decodeError(err, maxBytes)
	case int64(len(data)) > maxBytes:
		return decodeError(&http.MaxBytesError{Limit: maxBytes}, maxBytes)
	case !utf8.Valid(data):
		return &RequestError{Fields: []FieldError{{"body", "must be valid UTF-8"}}}
	}
	if key, dup := duplicateKey(data); dup {
		if key == "" {
			// An empty key names no field: the body is at fault.
			return &RequestError{Fields: []FieldError{{"body", `has the key "" more than once`}}}
		}
		return &RequestError{Fields: []FieldError{{key, "appears more than once"}}}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err = dec.Decode(dst)
	if err == nil {
		// Only whitespace may follow the object.
		var extra json.RawMessage
		if e := dec.Decode(&extra); !errors.Is(e, io.EOF) {
			err = errTrailing
		}
	}
	if err == nil {
		return nil
	}
	return decodeError(err, maxBytes)
}

// duplicateKey finds a key that appears twice (up to case) in one JSON object of data
// (encoding/json would silently keep the last one, so two readers of the
// same body could disagree). Malformed JSON reports nothing: the decoder
// that follows names the syntax error.
func duplicateKey(data []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		keys      map[string]bool
		expectKey bool
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				stack = append(stack, &frame{keys: map[string]bool{}, expectKey: true})
				continue
			case '[':
				stack = append(stack, &frame{})
				continue
			default:
				stack = stack[:len(stack)-1]
			}
		case string:
			if top != nil && top.keys != nil && top.expectKey {
				// encoding/json matches field names case-insensitively
				// (with Unicode folding), so "Prompt" is "prompt" too.
				folded := strings.ToLower(strings.ToUpper(v))
				if top.keys[folded] {
					return v, true
				}
				top.keys[folded] = true
				top.expectKey = false
				continue
			}
		}
		if len(stack) > 0 && stack[len(stack)-1].keys != nil {
			stack[len(stack)-1].expectKey = true
		}
	}
}

var errTrailing = errors.New("trailing data after the JSON object")

func decodeError(err error, maxBytes int64) *RequestError {
	re := &RequestError{}
	var (
		maxErr    *http.MaxBytesError
		typeErr   *json.UnmarshalTypeError
		syntaxErr *json.SyntaxError
	)
	switch {
	case errors.As(err, &maxErr):
		re.add("body", fmt.Sprintf("must be at most %d bytes", maxBytes))
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		re.add(field, "must be "+jsonKind(typeErr.Type.Kind().String()))
	case errors.As(err, &syntaxErr):
		re.add("body", fmt.Sprintf("is not valid JSON (at byte %d)", syntaxErr.Offset))
	case errors.Is(err, io.EOF):
		re.add("body", "must be a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		re.add("body", "is truncated JSON")
	case errors.Is(err, errTrailing):
		re.add("body", "must hold a single JSON object")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		if name == "" {
			re.add("body", `has an unknown field ""`)
		} else {
			re.add(name, "unknown field")
		}
	default:
		re.add("body", "cannot be decoded")
	}
	return re
}

func jsonKind(goKind string) string {
	switch goKind {
	case "int", "int64", "int32", "uint", "uint64", "uint32":
		return "an integer"
	case "float64", "float32":
		return "a number"
	case "string":
		return "a string"
	case "struct", "map":
		return "a JSON object"
	case "bool":
		return "true or false"
	}
	return "of another type"
}
