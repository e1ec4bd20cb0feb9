package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// decodeJSON decodes exactly one JSON object from r into dst, refusing
// unknown fields, wrong types, trailing data and bodies over maxBytes
// (r must come from http.MaxBytesReader for the size check to apply; the
// check also runs on plain readers by counting). Every failure is a
// *RequestError naming the field ("body" when no field is at fault).
func decodeJSON(r io.Reader, maxBytes int64, dst any) error {
	lr := &io.LimitedReader{R: r, N: maxBytes + 1}
	dec := json.NewDecoder(lr)
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	if err == nil {
		// Only whitespace may follow the object.
		var extra json.RawMessage
		if e := dec.Decode(&extra); !errors.Is(e, io.EOF) {
			err = errTrailing
		}
	}
	if lr.N <= 0 {
		err = &http.MaxBytesError{Limit: maxBytes}
	}
	if err == nil {
		return nil
	}
	return decodeError(err, maxBytes)
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
