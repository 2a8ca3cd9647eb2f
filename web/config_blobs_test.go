package web

import (
	"io"
	"testing"
	"time"
)

func TestParseConfigBlobSettings(t *testing.T) {
	env := map[string]string{
		"GATEHOUSE_BLOBS": "s3://artifacts/gh", "AWS_ENDPOINT_URL": "http://generic:9000", "AWS_ENDPOINT_URL_S3": "http://s3only:9000",
		"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret", "GATEHOUSE_S3_PATH_STYLE": "true",
		"GATEHOUSE_DOWNLOAD_REDIRECT": "true", "GATEHOUSE_SWEEP_INTERVAL": "10m", "GATEHOUSE_SWEEP_GRACE": "2h",
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	c, err := ParseConfig(nil, lookup, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	set := c.BlobSettings()
	if set.Spec != "s3://artifacts/gh" || set.S3.Endpoint != "http://s3only:9000" || set.S3.Region != "eu-west-1" ||
		set.S3.AccessKeyID != "AKID" || set.S3.SecretAccessKey != "secret" || !set.S3.PathStyle {
		t.Errorf("blob settings = %+v", set)
	}
	if !c.DownloadRedirect || c.SweepInterval != 10*time.Minute || c.SweepGrace != 2*time.Hour {
		t.Errorf("config = %+v", c)
	}
	delete(env, "AWS_ENDPOINT_URL_S3")
	if c, _ := ParseConfig(nil, lookup, io.Discard); c.S3.Endpoint != "http://generic:9000" {
		t.Errorf("AWS_ENDPOINT_URL ignored: %q", c.S3.Endpoint)
	}
	env["GATEHOUSE_SWEEP_GRACE"] = "an hour"
	if _, err := ParseConfig(nil, lookup, io.Discard); err == nil {
		t.Error("a malformed duration was accepted")
	}
	c, err = ParseConfig(nil, func(string) (string, bool) { return "", false }, io.Discard)
	if err != nil || c.Blobs != "file" || c.DownloadRedirect || c.S3.PathStyle {
		t.Errorf("defaults: %+v %v", c, err)
	}
}
