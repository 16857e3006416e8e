// Package s3store keeps recordings in an S3-compatible bucket (minio-go),
// in the format and under the names media/store says, as the directory
// store (internal/dirstore) keeps them in files: one object per recording,
// prefix + recording_YYYYMMDD_HHMMSS.json, holding the audio as base64
// followed by its metadata. It is one of the two implementations of
// store.Store.
//
// Saving streams: the recording is encoded into parts of PartSize bytes
// sent by multipart upload, so a long take is never held in memory. A name
// is claimed before the upload with a small marker object written with
// If-None-Match: *, so two saves in the same second, on this node or
// another, never take the same name, and the recording itself is written
// with If-None-Match: * too, so an existing recording is never overwritten.
// A server that ignores If-None-Match (see Check) cannot give that
// guarantee across nodes. Reading uses ranged GETs, so playback seeks.
// Deleting copies the object to a .trash- key and deletes it, so a crash
// leaves it where Trash finds it, as the local store does.
package s3store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/store"
)

const (
	// DefaultPartSize is the size of each part of a multipart upload: the
	// memory a save holds, and 10,000 parts (S3's limit) make 80 GiB.
	DefaultPartSize = 8 << 20

	// minPartSize is S3's smallest part but the last.
	minPartSize = 5 << 20

	// savingPrefix marks the object that claims a name while its
	// recording is uploaded. ValidName refuses it, so it is never listed.
	savingPrefix = ".saving-"

	contentType = "application/json"
)

// markerBody is the content of a marker object. Never empty: minio-go
// sends an empty body in a way some servers (versitygw) read as a second,
// bad request on the same connection.
const markerBody = "1"

// Bounds on reaching the server (see New).
const (
	dialTimeout   = 3 * time.Second
	headerTimeout = 30 * time.Second
	maxRetries    = 3
	// pingTimeout bounds Ping.
	pingTimeout = 3 * time.Second
)

// Config says where the bucket is and how to reach it.
type Config struct {
	Bucket string
	Prefix string // key prefix, such as "recordings/"; "" for the bucket's root
	// Endpoint is the server's URL, such as http://127.0.0.1:7070; ""
	// means AWS itself.
	Endpoint string
	Region   string // "" means us-east-1
	// PathStyle addresses the bucket as endpoint/bucket/key rather than
	// bucket.endpoint/key: what most S3-compatible servers want.
	PathStyle bool
	// AccessKey, SecretKey and SessionToken are the credentials; none
	// means anonymous requests.
	AccessKey, SecretKey, SessionToken string
}

// ParseURL splits s3://bucket/prefix into its bucket and key prefix; a
// non-empty prefix ends with a slash.
func ParseURL(raw string) (bucket, prefix string, err error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", fmt.Errorf("s3store: %q: %w", raw, err)
	}
	if u.Scheme != "s3" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", "", fmt.Errorf("s3store: %q is not s3://bucket or s3://bucket/prefix", raw)
	}
	prefix = strings.TrimPrefix(u.Path, "/")
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return u.Host, prefix, nil
}

// Store is a bucket (and key prefix) of recordings. It implements
// store.Store; it is safe for concurrent use.
type Store struct {
	client minio.Core // Core for the multipart calls; its Client for the rest
	bucket string
	prefix string
	// PartSize is the size of each uploaded part but the last, at least
	// 5 MiB; 0 means DefaultPartSize.
	PartSize int64
	Now      func() time.Time // clock for names and timestamps; nil means time.Now
}

// New returns the store Config describes. It makes no request: Check does.
func New(cfg Config) (*Store, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("s3store: no bucket")
	}
	if cfg.Prefix != "" && !strings.HasSuffix(cfg.Prefix, "/") {
		cfg.Prefix += "/"
	}
	host, secure := "s3.amazonaws.com", true
	if cfg.Endpoint != "" {
		u, err := url.Parse(cfg.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Trim(u.Path, "/") != "" {
			return nil, fmt.Errorf("s3store: endpoint %q is not http(s)://host[:port]", cfg.Endpoint)
		}
		host, secure = u.Host, u.Scheme == "https"
	}
	region := cfg.Region
	if region == "" {
		region = "us-east-1"
	}
	lookup := minio.BucketLookupAuto
	if cfg.PathStyle {
		lookup = minio.BucketLookupPath
	}
	creds := credentials.NewStatic("", "", "", credentials.SignatureAnonymous)
	if cfg.AccessKey != "" || cfg.SecretKey != "" {
		creds = credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, cfg.SessionToken)
	}
	tr, err := minio.DefaultTransport(secure)
	if err != nil {
		return nil, fmt.Errorf("s3store: %w", err)
	}
	// A server that is down must show quickly, so a save can say so
	// within its request: a connection gets dialTimeout, an answer
	// headerTimeout, and a failed request is tried maxRetries times in
	// all, not minio-go's ten (some 4 s of backing off).
	tr.DialContext = (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext
	tr.ResponseHeaderTimeout = headerTimeout
	client, err := minio.New(host, &minio.Options{
		Creds: creds, Secure: secure, Region: region, BucketLookup: lookup,
		Transport: tr, MaxRetries: maxRetries,
	})
	if err != nil {
		return nil, fmt.Errorf("s3store: %w", err)
	}
	return &Store{client: minio.Core{Client: client}, bucket: cfg.Bucket, prefix: cfg.Prefix}, nil
}

// Ping checks that the bucket answers: one HEAD request, for readiness
// probes.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("s3store: %s: %w", s, err)
	}
	if !ok {
		return fmt.Errorf("s3store: %s: the bucket is gone", s)
	}
	return nil
}

// Bucket is the store's bucket.
func (s *Store) Bucket() string { return s.bucket }

// String names the store for logs: s3://bucket/prefix, no credentials.
func (s *Store) String() string { return "s3://" + s.bucket + "/" + s.prefix }

// Check reaches the bucket, and reports whether the server honours
// If-None-Match: * (without it, two nodes saving in the same second could
// take the same name). It writes and deletes one small object.
func (s *Store) Check(ctx context.Context) (conditional bool, err error) {
	if ok, err := s.client.BucketExists(ctx, s.bucket); err != nil || !ok {
		if err == nil {
			err = errors.New("no such bucket")
		}
		return false, fmt.Errorf("s3store: bucket %s: %w", s, err)
	}
	key := s.prefix + savingPrefix + "probe-" + fmt.Sprint(time.Now().UnixNano())
	defer s.delete(context.WithoutCancel(ctx), key)
	for i := range 2 {
		err := s.putNew(ctx, key, []byte(markerBody))
		switch {
		case i == 1 && isTaken(err):
			return true, nil
		case err != nil:
			return false, fmt.Errorf("s3store: write to %s: %w", s, err)
		}
	}
	return false, nil
}

// putNew writes a small object with If-None-Match: *.
func (s *Store) putNew(ctx context.Context, key string, body []byte) error {
	opts := minio.PutObjectOptions{ContentType: contentType}
	opts.SetMatchETagExcept("*")
	_, err := s.client.PutObject(ctx, s.bucket, key, bytes.NewReader(body), int64(len(body)), "", "", opts)
	return err
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Store) partSize() int64 {
	if s.PartSize == 0 {
		return DefaultPartSize
	}
	return max(s.PartSize, minPartSize)
}

func (s *Store) key(name string) string { return s.prefix + name }

// Save streams exactly size bytes of audio into a new recording and
// returns its name, as store.Store says: meta.Bytes is set to
// size, an empty meta.Timestamp to Now, and the name is the first free of
// recording_YYYYMMDD_HHMMSS.json, _2.json, ... for Now. Audio that yields
// fewer or more bytes wraps media.ErrInvalid; on any failure nothing is
// left in the bucket (an interrupted multipart upload is aborted).
func (s *Store) Save(ctx context.Context, audio io.Reader, size int64, meta store.Meta) (string, error) {
	if size < 0 {
		return "", fmt.Errorf("s3store: save: negative size %d: %w", size, media.ErrInvalid)
	}
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("s3store: save: %w", err)
	}
	now := s.now()
	if meta.Timestamp == "" {
		meta.Timestamp = now.UTC().Format(store.TimeFormat)
	}
	name, release, err := s.claim(ctx, now)
	if err != nil {
		return "", fmt.Errorf("s3store: save: %w", err)
	}
	defer release()
	up := &upload{s: s, ctx: ctx, key: s.key(name), buf: make([]byte, 0, s.partSize())}
	err = store.Encode(ctx, up, audio, size, meta)
	if err == nil {
		err = up.finish()
	}
	if err != nil {
		up.abort()
		return "", fmt.Errorf("s3store: save %q: %w", name, err)
	}
	return name, nil
}

// claim takes the first free name for now: it writes the name's marker
// with If-None-Match: * (so no other save, here or on another node, takes
// it meanwhile) and checks that no recording has the name already. The
// returned function deletes the marker once the save is over.
func (s *Store) claim(ctx context.Context, now time.Time) (string, func(), error) {
	for i := 1; i <= store.MaxSuffix; i++ {
		name, err := store.NameFor(now, i)
		if err != nil {
			return "", nil, err
		}
		claimKey := s.key(savingPrefix + name)
		err = s.putNew(ctx, claimKey, []byte(markerBody))
		if isTaken(err) {
			continue // another save is writing it
		}
		if err != nil {
			return "", nil, fmt.Errorf("claim %q: %w", name, err)
		}
		release := func() { s.delete(context.WithoutCancel(ctx), claimKey) }
		exists, err := s.exists(ctx, s.key(name))
		if err != nil || exists {
			release()
		}
		if err != nil {
			return "", nil, fmt.Errorf("claim %q: %w", name, err)
		}
		if !exists {
			return name, release, nil
		}
	}
	return "", nil, fmt.Errorf("no free name for %s after %d tries", now.Format("recording_20060102_150405"), store.MaxSuffix)
}

// upload is an io.Writer that sends what it is given as the parts of a
// multipart upload, holding one part in memory; a recording smaller than
// one part is sent with one PutObject instead.
type upload struct {
	s     *Store
	ctx   context.Context
	key   string
	buf   []byte // the part being filled; its capacity is the part size
	id    string // of the multipart upload, once started
	parts []minio.CompletePart
}

func (u *upload) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := copy(u.buf[len(u.buf):cap(u.buf)], p)
		u.buf, p, n = u.buf[:len(u.buf)+k], p[k:], n+k
		if len(u.buf) == cap(u.buf) {
			if err := u.flush(); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// flush sends the buffer as the next part, starting the upload first.
func (u *upload) flush() error {
	s := u.s
	if u.id == "" {
		id, err := s.client.NewMultipartUpload(u.ctx, s.bucket, u.key, minio.PutObjectOptions{ContentType: contentType})
		if err != nil {
			return fmt.Errorf("start upload: %w", err)
		}
		u.id = id
	}
	num := len(u.parts) + 1
	part, err := s.client.PutObjectPart(u.ctx, s.bucket, u.key, u.id, num, bytes.NewReader(u.buf), int64(len(u.buf)), minio.PutObjectPartOptions{})
	if err != nil {
		return fmt.Errorf("upload part %d: %w", num, err)
	}
	u.parts = append(u.parts, minio.CompletePart{PartNumber: num, ETag: part.ETag})
	u.buf = u.buf[:0]
	return nil
}

// finish writes the recording under its name, unless one exists there.
func (u *upload) finish() error {
	s := u.s
	if u.id == "" {
		if err := s.putNew(u.ctx, u.key, u.buf); err != nil {
			return fmt.Errorf("put: %w", err)
		}
		return nil
	}
	if len(u.buf) > 0 {
		if err := u.flush(); err != nil {
			return err
		}
	}
	opts := minio.PutObjectOptions{}
	opts.SetMatchETagExcept("*")
	if _, err := s.client.CompleteMultipartUpload(u.ctx, s.bucket, u.key, u.id, u.parts, opts); err != nil {
		return fmt.Errorf("complete upload: %w", err)
	}
	u.id = ""
	return nil
}

// abort drops the parts of an upload that did not complete.
func (u *upload) abort() {
	if u.id == "" {
		return
	}
	// Even when ctx ended: the parts would otherwise stay, unseen and paid for.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(u.ctx), time.Minute)
	defer cancel()
	u.s.client.AbortMultipartUpload(ctx, u.s.bucket, u.key, u.id)
	u.id = ""
}

// Open opens a recording: its metadata and a seekable reader over its
// audio, read with ranged GETs as it is read. An invalid name wraps
// media.ErrInvalid, an absent one media.ErrNotFound, an unparsable object
// store.ErrCorrupt. Reads go on after ctx ends (a response streams after
// its handler returned); Close the recording to stop them.
func (s *Store) Open(ctx context.Context, name string) (*store.Recording, error) {
	if !store.ValidName(name) {
		return nil, fmt.Errorf("s3store: open %q: %w", name, media.Invalidf("%q is not a recording name", name))
	}
	key := s.key(name)
	head, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("s3store: open %q: %w", name, notFound(err, name))
	}
	r := &objectReader{s: s, ctx: context.WithoutCancel(ctx), key: key, etag: head.ETag, size: head.Size}
	rec, err := store.Load(r, r.size, head.LastModified, r)
	if err != nil {
		return nil, fmt.Errorf("s3store: open %q: %w", name, err)
	}
	rec.Filename = name
	return rec, nil
}

// OpenFile opens a recording's object as stored, for download, and returns
// its size.
func (s *Store) OpenFile(ctx context.Context, name string) (io.ReadCloser, int64, error) {
	if !store.ValidName(name) {
		return nil, 0, fmt.Errorf("s3store: open %q: %w", name, media.Invalidf("%q is not a recording name", name))
	}
	key := s.key(name)
	body, info, _, err := s.client.GetObject(context.WithoutCancel(ctx), s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, 0, fmt.Errorf("s3store: open %q: %w", name, notFound(err, name))
	}
	return body, info.Size, nil
}

// Names lists the recordings under the prefix.
func (s *Store) Names(ctx context.Context) ([]string, error) {
	names, err := s.list(ctx, s.prefix)
	if err != nil {
		return nil, fmt.Errorf("s3store: list: %w", err)
	}
	return names, nil
}

// list returns the recording names that follow p in the keys under it.
func (s *Store) list(ctx context.Context, p string) ([]string, error) {
	var names []string
	for o := range s.client.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{Prefix: p, Recursive: true}) {
		if o.Err != nil {
			return nil, o.Err
		}
		if name := strings.TrimPrefix(o.Key, p); store.ValidName(name) {
			names = append(names, name)
		}
	}
	return names, nil
}

// Remove deletes a recording. An invalid name wraps media.ErrInvalid, an
// absent one media.ErrNotFound.
func (s *Store) Remove(ctx context.Context, name string) error {
	if !store.ValidName(name) {
		return fmt.Errorf("s3store: remove %q: %w", name, media.Invalidf("%q is not a recording name", name))
	}
	key := s.key(name)
	if exists, err := s.exists(ctx, key); err != nil {
		return fmt.Errorf("s3store: remove %q: %w", name, err)
	} else if !exists {
		return fmt.Errorf("s3store: remove %q: %w", name, media.NotFoundf("no recording named %q", name))
	}
	if err := s.delete(ctx, key); err != nil {
		return fmt.Errorf("s3store: remove %q: %w", name, err)
	}
	return nil
}

// exists reports whether key is an object.
func (s *Store) exists(ctx context.Context, key string) (bool, error) {
	_, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if httpStatus(err) == http.StatusNotFound {
		return false, nil
	}
	return err == nil, err
}

func (s *Store) delete(ctx context.Context, key string) error {
	return s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{})
}

// copy copies the object at from to to, on the server.
func (s *Store) copy(ctx context.Context, from, to string) error {
	_, err := s.client.Client.CopyObject(ctx,
		minio.CopyDestOptions{Bucket: s.bucket, Object: to},
		minio.CopySrcOptions{Bucket: s.bucket, Object: from})
	return err
}

// StageRemove moves a recording aside, to the key .trash-NAME beside it
// (a copy on the server, then a delete), where Names and Open no longer
// see it. Then exactly one of Undo or Done. An absent recording wraps
// media.ErrNotFound.
func (s *Store) StageRemove(ctx context.Context, name string) (store.Staged, error) {
	if !store.ValidName(name) {
		return nil, fmt.Errorf("s3store: remove %q: %w", name, media.Invalidf("%q is not a recording name", name))
	}
	r := &removal{s: s, ctx: context.WithoutCancel(ctx), name: name, at: time.Now()}
	if err := s.copy(ctx, s.key(name), r.trash()); err != nil {
		return nil, fmt.Errorf("s3store: remove %q: %w", name, notFound(err, name))
	}
	if err := s.delete(ctx, s.key(name)); err != nil {
		// Both copies exist: the recording stays, the trash copy goes.
		err = errors.Join(err, s.delete(r.ctx, r.trash()))
		return nil, fmt.Errorf("s3store: remove %q: %w", name, err)
	}
	return r, nil
}

// removal is a recording moved to its trash key.
type removal struct {
	s    *Store
	ctx  context.Context
	name string
	at   time.Time // when it was moved aside: the trash copy's time
}

func (r *removal) Name() string { return r.name }

// StagedAt is when the recording was moved aside, so a node sharing the
// bucket can tell another node's deletion in flight from one a crash left.
func (r *removal) StagedAt() time.Time { return r.at }

func (r *removal) trash() string { return r.s.key(store.TrashPrefix + r.name) }

// Undo puts the recording back.
func (r *removal) Undo() error {
	if err := r.s.copy(r.ctx, r.trash(), r.s.key(r.name)); err != nil {
		return fmt.Errorf("s3store: restore %q: %w", r.name, err)
	}
	if err := r.s.delete(r.ctx, r.trash()); err != nil {
		return fmt.Errorf("s3store: restore %q: %w", r.name, err)
	}
	return nil
}

// Done deletes the recording for good.
func (r *removal) Done() error {
	if err := r.s.delete(r.ctx, r.trash()); err != nil {
		return fmt.Errorf("s3store: remove %q: %w", r.name, err)
	}
	return nil
}

// Trash lists recordings a crash left moved aside.
func (s *Store) Trash(ctx context.Context) ([]store.Staged, error) {
	p := s.prefix + store.TrashPrefix
	var out []store.Staged
	for o := range s.client.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{Prefix: p, Recursive: true}) {
		if o.Err != nil {
			return nil, fmt.Errorf("s3store: list trash: %w", o.Err)
		}
		if name := strings.TrimPrefix(o.Key, p); store.ValidName(name) {
			out = append(out, &removal{s: s, ctx: context.WithoutCancel(ctx), name: name, at: o.LastModified})
		}
	}
	return out, nil
}

// httpStatus is the HTTP status of a failed request, or 0.
func httpStatus(err error) int {
	var re minio.ErrorResponse
	if errors.As(err, &re) {
		return re.StatusCode
	}
	return 0
}

// isTaken reports a conditional write refused because the key exists
// (412), or because another conditional write to it is under way (409).
func isTaken(err error) bool {
	switch httpStatus(err) {
	case http.StatusPreconditionFailed, http.StatusConflict:
		return true
	}
	return false
}

// notFound turns a 404 into media.ErrNotFound.
func notFound(err error, name string) error {
	if httpStatus(err) == http.StatusNotFound {
		return &media.Error{Kind: media.ErrNotFound, Message: fmt.Sprintf("no recording named %q", name), Err: err}
	}
	return err
}
