package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"gatehouse/models"
)

// multiFlag collects a repeated flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// runAdmin runs "gatehouse admin <command>".
func runAdmin(ctx context.Context, store *models.Store, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: gatehouse admin create-user|create-token [flags]")
	}
	switch args[0] {
	case "create-user":
		fs := flag.NewFlagSet("create-user", flag.ContinueOnError)
		fs.SetOutput(stderr)
		email := fs.String("email", "", "email of the new user")
		password := fs.String("password", "", "password of the new user")
		var roles multiFlag
		fs.Var(&roles, "role", "role to give (repeatable; default Member)")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		u, err := store.CreateUser(ctx, models.NewUser{Email: *email, Password: *password, Roles: roles})
		if err != nil {
			return err
		}
		_ = store.Record(ctx, models.Audit{Action: "user.create", Target: u.Email, Details: map[string]any{"roles": u.RoleNames(), "by": "admin command"}})
		fmt.Fprintf(stdout, "Created user %s (%s).\n", u.Email, strings.Join(u.RoleNames(), ", "))
		return nil
	}
	return fmt.Errorf("unknown admin command %q", args[0])
}
