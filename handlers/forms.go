package handlers

import (
	"net/http"

	"gatehouse/web"
)

// formFault splits an error into field errors and a banner message for
// re-rendering a form, judged by web.Classify like every other answer.
// Errors that are not a fault in the form (a missing page, a server
// error) come back as err for the error handler.
func formFault(err error) (fields map[string]string, banner string, _ error) {
	status, _, msg, field := web.Classify(err)
	switch {
	case status == http.StatusUnprocessableEntity && field != "":
		return map[string]string{field: msg}, "", nil
	case status == http.StatusUnprocessableEntity || status == http.StatusConflict:
		return nil, msg, nil
	}
	return nil, "", err
}
