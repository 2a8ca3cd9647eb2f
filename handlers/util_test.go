package handlers_test

import (
	"encoding/json"
	"strconv"
)

func itoa(id uint) string { return strconv.FormatUint(uint64(id), 10) }

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
