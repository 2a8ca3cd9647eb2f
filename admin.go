package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/blobs"
	"gatehouse/web"
)

// multiFlag collects a repeated flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// runAdmin runs "gatehouse admin <command>".
func runAdmin(ctx context.Context, store *models.Store, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: gatehouse admin create-user|create-token|migrate|migrate-blobs [flags]")
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
	case "create-token":
		return createToken(ctx, store, args[1:], stdout, stderr)
	}
	return fmt.Errorf("unknown admin command %q", args[0])
}

// createToken runs "gatehouse admin create-token": it prints the new token
// string on stdout and nothing else, so scripts can capture it.
func createToken(ctx context.Context, store *models.Store, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("create-token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "email of the token's owner")
	name := fs.String("name", "", "token name (unique per owner)")
	expires := fs.String("expires", "", "last day the token works, YYYY-MM-DD")
	desc := fs.String("description", "", "what the token is for")
	var scopes, resources multiFlag
	fs.Var(&scopes, "scope", "scope to grant, e.g. artifact:download (repeatable)")
	fs.Var(&resources, "resource", "CHANNEL[/SUB]:LEVEL, group:GROUP:LEVEL or CHANNEL/group:GROUP:LEVEL to grant, level read|write|manage (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	g := access.TokenGrant{Scopes: scopes}
	for _, r := range resources {
		i := strings.LastIndex(r, ":")
		if i < 0 {
			return fmt.Errorf("--resource %q: want CHANNEL[/SUB]:LEVEL, group:GROUP:LEVEL or CHANNEL/group:GROUP:LEVEL", r)
		}
		res, err := access.ParseResource(r[:i], r[i+1:])
		if err != nil {
			return fmt.Errorf("--resource %q: %w", r, err)
		}
		g.Resources = append(g.Resources, res)
	}
	t, secret, err := store.CreateTokenAs(ctx, *email, models.NewToken{Name: *name, Description: *desc, ExpiresOn: *expires, Grant: g})
	if err != nil {
		return err
	}
	_ = store.Record(ctx, models.Audit{ActorID: t.UserID, ActorEmail: t.User.Email, Action: "token.create", Target: t.Name,
		Details: map[string]any{"token_id": t.ID, "type": t.Kind, "expires": t.ExpiryDate(), "by": "admin command"}})
	_, err = fmt.Fprintln(stdout, secret)
	return err
}

// migrate runs "gatehouse admin migrate [--status]": apply the pending
// schema migrations (as every start does), or list them all.
func migrate(ctx context.Context, store *models.Store, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	status := fs.Bool("status", false, "list every migration and whether it is applied; change nothing")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *status {
		st, err := store.MigrationStatus(ctx)
		if err != nil {
			return err
		}
		for _, m := range st {
			when := "pending"
			if m.Applied {
				when = "applied " + m.AppliedAt.UTC().Format("2006-01-02 15:04:05")
			}
			fmt.Fprintf(stdout, "%05d  %-40s %s\n", m.Version, m.Name, when)
		}
		return nil
	}
	done, err := store.ApplyMigrations(ctx)
	if err != nil {
		return err
	}
	for _, m := range done {
		fmt.Fprintf(stdout, "applied %05d %s\n", m.Version, m.Name)
	}
	if len(done) == 0 {
		fmt.Fprintln(stdout, "The schema is up to date.")
	}
	return nil
}

// migrateBlobs runs "gatehouse admin migrate-blobs --to s3://…": it copies
// every blob an artifact refers to from the configured store into another,
// verifying each SHA256 on the way. Blobs already there are skipped, so a
// second run resumes an interrupted one and a third changes nothing.
func migrateBlobs(ctx context.Context, cfg web.Config, store *models.Store, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate-blobs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	to := fs.String("to", "", "where to copy the blobs: s3://BUCKET[/PREFIX] (S3 settings from the AWS_* variables) or file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *to == "" || fs.NArg() > 0 {
		return errors.New("usage: gatehouse admin migrate-blobs --to s3://BUCKET[/PREFIX]")
	}
	src, err := blobs.Open(ctx, cfg.BlobSettings())
	if err != nil {
		return err
	}
	set := cfg.BlobSettings()
	set.Spec = *to
	dst, err := blobs.Open(ctx, set)
	if err != nil {
		return err
	}
	if src.String() == dst.String() {
		return fmt.Errorf("%s is already where the blobs are (GATEHOUSE_BLOBS)", dst)
	}
	fmt.Fprintf(stdout, "Copying blobs from %s to %s.\n", src, dst)
	var copied, present, failed int
	var bytes int64
	for after := ""; ; {
		refs, err := store.BlobSHAs(ctx, after, 500)
		if err != nil {
			return err
		}
		if len(refs) == 0 {
			break
		}
		for _, r := range refs {
			after = r.SHA256
			done, err := copyBlob(ctx, src, dst, r)
			switch {
			case err != nil:
				failed++
				fmt.Fprintf(stderr, "%s: %v\n", r.SHA256, err)
			case done:
				copied++
				bytes += r.Size
			default:
				present++
			}
		}
	}
	fmt.Fprintf(stdout, "Copied %d blobs (%d bytes); %d were there already; %d failed.\n", copied, bytes, present, failed)
	if failed > 0 {
		return fmt.Errorf("%d blobs were not copied; run the command again to resume", failed)
	}
	return nil
}

// copyBlob copies one blob unless dst has it already, refusing content
// whose SHA256 is not its name.
func copyBlob(ctx context.Context, src, dst blobs.Store, r models.BlobRef) (bool, error) {
	info, err := dst.Stat(ctx, r.SHA256)
	switch {
	case err == nil && info.Size == r.Size:
		return false, nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return false, err
	}
	stale := err == nil // there, but not whole: replaced below
	in, err := src.Open(ctx, r.SHA256, r.Size)
	if err != nil {
		return false, err
	}
	defer in.Close()
	st, err := dst.Stage(in, r.Size)
	if errors.Is(err, blobs.ErrTooLarge) {
		return false, fmt.Errorf("the source holds more than the %d bytes recorded: damaged, not copied", r.Size)
	}
	if err != nil {
		return false, err
	}
	defer st.Discard()
	if st.SHA256 != r.SHA256 {
		return false, fmt.Errorf("the source's content has SHA256 %s: damaged, not copied", st.SHA256)
	}
	if stale {
		if err := dst.Remove(ctx, r.SHA256); err != nil {
			return false, err
		}
	}
	_, err = dst.Put(ctx, st)
	return err == nil, err
}
