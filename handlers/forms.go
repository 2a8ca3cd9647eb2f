package handlers

import (
	"errors"

	"gatehouse/models"
)

// formFault splits a store error into field errors and a banner message for
// re-rendering a form. Errors that are not the caller's fault come back as err.
func formFault(err error) (fields map[string]string, banner string, _ error) {
	var ve *models.ValidationError
	var ce *models.ConflictError
	switch {
	case errors.As(err, &ve):
		return map[string]string{ve.Field: ve.Message}, "", nil
	case errors.As(err, &ce):
		return nil, ce.Message, nil
	}
	return nil, "", err
}
