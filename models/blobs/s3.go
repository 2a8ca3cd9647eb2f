package blobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
)

// S3Options configure an S3-compatible store. Empty fields fall back to the
// AWS SDK's defaults (shared config files, instance roles, …).
type S3Options struct {
	Bucket, Prefix  string
	Endpoint        string // AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL
	Region          string // AWS_REGION
	AccessKeyID     string // AWS_ACCESS_KEY_ID
	SecretAccessKey string // AWS_SECRET_ACCESS_KEY
	SessionToken    string // AWS_SESSION_TOKEN
	PathStyle       bool   // bucket in the path, not the host name
}

// S3Store keeps blobs as objects <prefix>/ab/abcdef… in a bucket. Uploads
// are staged in a local directory (this instance's own) and put under
// their final key once validated.
type S3Store struct {
	client  *s3.Client
	bucket  string
	prefix  string // "" or "some/prefix/"
	staging string
}

// NewS3Store connects to a bucket; nothing is sent until the store is used.
func NewS3Store(ctx context.Context, o S3Options, stagingDir string) (*S3Store, error) {
	if o.Bucket == "" {
		return nil, errors.New("blobs: no S3 bucket named")
	}
	hc := awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = 5 * time.Second }).
		WithTransportOptions(func(t *http.Transport) {
			t.MaxIdleConnsPerHost = 64 // many downloads at once reuse connections
			t.ResponseHeaderTimeout = time.Minute
		})
	opts := []func(*config.LoadOptions) error{
		config.WithHTTPClient(hc),
		// A few quick retries, then a clear fault: an outage must not hold
		// requests for long.
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(so *retry.StandardOptions) {
				so.MaxAttempts, so.MaxBackoff, so.RateLimiter = 3, 500*time.Millisecond, ratelimit.None
			})
		}),
	}
	if o.Region != "" {
		opts = append(opts, config.WithRegion(o.Region))
	}
	if o.AccessKeyID != "" {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(o.AccessKeyID, o.SecretAccessKey, o.SessionToken)))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("blobs: unable to configure S3: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1" // S3-compatible stores rarely care; the SDK needs one
	}
	client := s3.NewFromConfig(cfg, func(so *s3.Options) {
		if o.Endpoint != "" {
			so.BaseEndpoint = aws.String(o.Endpoint)
		}
		so.UsePathStyle = o.PathStyle
		// Extra checksums only where S3 requires them: not every
		// S3-compatible store knows the newer ones.
		so.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		so.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	prefix := strings.Trim(o.Prefix, "/")
	if prefix != "" {
		prefix += "/"
	}
	return &S3Store{client: client, bucket: o.Bucket, prefix: prefix, staging: stagingDir}, nil
}

// Client exposes the S3 client to tests and tools.
func (s *S3Store) Client() *s3.Client { return s.client }

// StagingDir is where this instance spools uploads.
func (s *S3Store) StagingDir() string { return s.staging }

func (s *S3Store) String() string { return "s3://" + s.bucket + "/" + s.prefix }

func (s *S3Store) key(sha string) string { return s.prefix + relPath(sha) }

// fault classifies an S3 error: a missing object is fs.ErrNotExist, a
// request the client gave up is its context's error, anything else means
// the storage service is unavailable.
func (s *S3Store) fault(ctx context.Context, op, sha string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	var re *awshttp.ResponseError
	if errors.As(err, &nsk) || errors.As(err, &nf) || (errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound && !strings.Contains(err.Error(), "NoSuchBucket")) {
		return notExist(sha)
	}
	return fmt.Errorf("%w: %s %s: %v", ErrUnavailable, op, s.bucket, err)
}

// Stage implements Store: a local file, not yet anything in the bucket.
func (s *S3Store) Stage(r io.Reader, max int64) (*Staged, error) { return stage(s.staging, r, max) }

// Put implements Store. The request is signed with the content's SHA256,
// so the storage service refuses the object if a byte differs.
func (s *S3Store) Put(ctx context.Context, st *Staged) (bool, error) {
	if _, err := s.Stat(ctx, st.SHA256); err == nil {
		return false, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &s.bucket, Key: aws.String(s.key(st.SHA256)),
		Body: io.NewSectionReader(st.f, 0, st.Size), ContentLength: aws.Int64(st.Size),
		ContentType: aws.String("application/octet-stream"),
	}, payloadHash(st.SHA256))
	if err != nil {
		return false, s.fault(ctx, "put", st.SHA256, err)
	}
	return true, nil
}

// payloadHash signs a request with a known body SHA256 instead of reading
// the body once more to compute it.
func payloadHash(sha string) func(*s3.Options) {
	return func(o *s3.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("GatehousePayloadHash",
				func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
					return next.HandleFinalize(v4.SetPayloadHash(ctx, sha), in)
				}), middleware.Before)
		})
	}
}

// Open implements Store: nothing is fetched until Ready or Read, and then
// only from the current offset on.
func (s *S3Store) Open(ctx context.Context, sha string, size int64) (Reader, error) {
	if !ValidSHA(sha) {
		return nil, notExist(sha)
	}
	return &s3Reader{s: s, ctx: ctx, sha: sha, size: size}, nil
}

// Stat implements Store.
func (s *S3Store) Stat(ctx context.Context, sha string) (Info, error) {
	if !ValidSHA(sha) {
		return Info{}, notExist(sha)
	}
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: aws.String(s.key(sha))})
	if err != nil {
		return Info{}, s.fault(ctx, "head", sha, err)
	}
	return Info{SHA256: sha, Size: aws.ToInt64(out.ContentLength), Modified: aws.ToTime(out.LastModified)}, nil
}

// Remove implements Store.
func (s *S3Store) Remove(ctx context.Context, sha string) error {
	if !ValidSHA(sha) {
		return nil
	}
	if _, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: aws.String(s.key(sha))}); err != nil {
		if err = s.fault(ctx, "delete", sha, err); !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// Walk implements Store: every <prefix>/ab/<sha> key.
func (s *S3Store) Walk(ctx context.Context, fn func(Info) error) error {
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: aws.String(s.prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return s.fault(ctx, "list", "", err)
		}
		for _, o := range page.Contents {
			rel := strings.TrimPrefix(aws.ToString(o.Key), s.prefix)
			dir, sha, ok := strings.Cut(rel, "/")
			if !ok || !ValidSHA(sha) || dir != sha[:2] {
				continue
			}
			if err := fn(Info{SHA256: sha, Size: aws.ToInt64(o.Size), Modified: aws.ToTime(o.LastModified)}); err != nil {
				return err
			}
		}
	}
	return nil
}

// SweepStaging implements Store.
func (s *S3Store) SweepStaging() Freed { return sweepStaging(s.staging) }

// Check implements Store: the bucket answers.
func (s *S3Store) Check(ctx context.Context) error {
	if _, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &s.bucket}); err != nil {
		return s.fault(ctx, "check", "", err)
	}
	return nil
}

// PresignGet implements Presigner: a GET URL valid for ttl that saves the
// file under its package file name.
func (s *S3Store) PresignGet(ctx context.Context, sha, filename string, ttl time.Duration) (string, error) {
	req, err := s3.NewPresignClient(s.client).PresignGetObject(ctx, &s3.GetObjectInput{
		Bucket: &s.bucket, Key: aws.String(s.key(sha)),
		ResponseContentType:        aws.String("application/octet-stream"),
		ResponseContentDisposition: aws.String(mime.FormatMediaType("attachment", map[string]string{"filename": filename})),
	}, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("blobs: unable to presign: %w", err)
	}
	return req.URL, nil
}

// s3Reader reads an object lazily: a ranged GET from the current offset on
// the first Read (or Ready) after a Seek.
type s3Reader struct {
	s    *S3Store
	ctx  context.Context
	sha  string
	size int64
	off  int64
	body io.ReadCloser
}

func (r *s3Reader) Seek(offset int64, whence int) (int64, error) {
	abs := offset
	switch whence {
	case io.SeekCurrent:
		abs += r.off
	case io.SeekEnd:
		abs += r.size
	}
	if abs < 0 {
		return 0, errors.New("blobs: seek before the start")
	}
	if abs != r.off {
		r.closeBody()
	}
	r.off = abs
	return abs, nil
}

func (r *s3Reader) Ready() error {
	if r.body != nil || r.off >= r.size {
		return nil
	}
	in := &s3.GetObjectInput{Bucket: &r.s.bucket, Key: aws.String(r.s.key(r.sha))}
	if r.off > 0 {
		in.Range = aws.String(fmt.Sprintf("bytes=%d-", r.off))
	}
	out, err := r.s.client.GetObject(r.ctx, in)
	if err != nil {
		return r.s.fault(r.ctx, "get", r.sha, err)
	}
	r.body = out.Body
	return nil
}

func (r *s3Reader) Read(p []byte) (int, error) {
	if r.off >= r.size {
		return 0, io.EOF
	}
	if err := r.Ready(); err != nil {
		return 0, err
	}
	n, err := r.body.Read(p)
	r.off += int64(n)
	switch {
	case err == io.EOF && r.off < r.size:
		err = io.ErrUnexpectedEOF
	case err == io.EOF:
	case err != nil:
		r.closeBody()
		err = r.s.fault(r.ctx, "read", r.sha, err)
	}
	return n, err
}

func (r *s3Reader) closeBody() {
	if r.body != nil {
		r.body.Close()
		r.body = nil
	}
}

func (r *s3Reader) Close() error {
	r.closeBody()
	return nil
}
