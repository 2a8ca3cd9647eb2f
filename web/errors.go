package web

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"gatehouse/models"
)

// APIError is the JSON error shape of /api and /v1.
type APIError struct {
	OK      bool   `json:"ok"`
	Error   string `json:"error"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// Fail builds an HTTP error with a message meant for the caller.
func Fail(status int, message string) error { return echo.NewHTTPError(status, message) }

// CodedError is a caller's fault with its own error code, for faults that
// deserve a more precise name than the status gives (e.g. "not_a_catalog_page").
type CodedError struct {
	Status  int
	Code    string
	Message string
}

func (e *CodedError) Error() string { return e.Message }

// FailCode builds a CodedError.
func FailCode(status int, code, message string) error {
	return &CodedError{Status: status, Code: code, Message: message}
}

// IsAPI reports whether the request is for a machine: the JSON API, the
// conda protocol or the metrics (errors in JSON, never a sign-in redirect).
func IsAPI(c echo.Context) bool {
	p := c.Request().URL.Path
	return IsAPIPath(p) || p == "/metrics"
}

// IsAPIPath reports whether a path belongs to the JSON API or the conda
// protocol, where tokens are accepted.
func IsAPIPath(p string) bool {
	return strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/v1/") || strings.HasPrefix(p, "/t/") ||
		p == "/api" || p == "/v1"
}

// ErrorPage renders an error for people; set by the handlers package.
type ErrorPage func(c echo.Context, status int, message string) templ.Component

// NewErrorHandler is the one place errors become responses. Internal errors
// are logged with the request id and answered without their text.
func NewErrorHandler(log *slog.Logger, page ErrorPage) echo.HTTPErrorHandler {
	// An outage fails every request: say so now and then, not thousands of
	// times a second (the store logs when it starts and when it ends).
	outage := &rate.Sometimes{First: 1, Interval: 10 * time.Second}
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		status, code, msg, field := Classify(err)
		switch {
		case code == codeDBUnavailable:
			outage.Do(func() { log.Error("request failed: the database is unreachable", "err", err) })
		case status >= 500:
			log.Error("request failed", "err", err, "request_id", c.Response().Header().Get(echo.HeaderXRequestID), "method", c.Request().Method, "path", RedactPath(c.Request().URL.Path))
		}
		if status == http.StatusServiceUnavailable && c.Response().Header().Get("Retry-After") == "" {
			c.Response().Header().Set("Retry-After", "5")
		}
		if IsAPI(c) || wantsJSON(c) {
			if c.Request().Method == http.MethodHead {
				_ = c.NoContent(status)
				return
			}
			_ = c.JSON(status, APIError{OK: false, Error: code, Message: msg, Field: field})
			return
		}
		if status == http.StatusUnauthorized {
			_ = RedirectToLogin(c)
			return
		}
		_ = Render(c, status, page(c, status, msg))
	}
}

func wantsJSON(c echo.Context) bool {
	return strings.HasPrefix(c.Request().Header.Get(echo.HeaderContentType), echo.MIMEApplicationJSON) &&
		c.Request().Header.Get("HX-Request") == ""
}

const codeDBUnavailable = "database_unavailable"

// Classify maps an error onto the status, code, message and field the
// caller is told: the one place errors are judged (the error handler and
// the forms that re-render with a message both use it).
func Classify(err error) (status int, code, message, field string) {
	var he *echo.HTTPError
	var ve *models.ValidationError
	var ce *models.ConflictError
	var coded *CodedError
	switch {
	case errors.As(err, &coded):
		return coded.Status, coded.Code, coded.Message, ""
	case models.Unavailable(err):
		return http.StatusServiceUnavailable, codeDBUnavailable, "The database is unreachable at the moment; nothing was changed. Try again shortly.", ""
	case errors.As(err, &ve):
		return http.StatusUnprocessableEntity, "invalid", ve.Message, ve.Field
	case errors.As(err, &ce):
		return http.StatusConflict, "conflict", ce.Message, ""
	case errors.Is(err, models.ErrNotFound):
		return http.StatusNotFound, "not_found", "Not found.", ""
	case errors.Is(err, models.ErrConflict):
		return http.StatusConflict, "conflict", "That conflicts with something that already exists.", ""
	case errors.As(err, &he):
		msg, _ := he.Message.(string)
		if msg == "" || he.Code >= 500 {
			msg = http.StatusText(he.Code)
		}
		return he.Code, codeFor(he.Code), msg, ""
	}
	return http.StatusInternalServerError, "internal", "Something went wrong on our side. It has been logged.", ""
}

func codeFor(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "bad_request"
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusConflict:
		return "conflict"
	case http.StatusRequestEntityTooLarge:
		return "too_large"
	case http.StatusUnprocessableEntity:
		return "invalid"
	case http.StatusTooManyRequests:
		return "too_many_requests"
	}
	if status >= 500 {
		return "internal"
	}
	return "error"
}
