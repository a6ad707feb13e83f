package storage

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go/aws/ec2metadata"
	"github.com/aws/aws-sdk-go/aws/request"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/service/s3"
)

// objects does in bulk, with the S3 API itself, what distribution's s3
// driver does one object at a time: it lists a prefix with every object's
// size and modification time (ListObjectsV2 without a delimiter, a
// thousand keys a request) where the driver's Stat costs a request per
// object, and deletes a thousand keys in one DeleteObjects where the
// driver's Delete costs a listing and a DeleteObjects per object. It
// reaches the bucket the driver reaches: same parameters, same endpoint,
// same credential chain (static keys, environment, shared file, instance
// role). Everything else still goes through the driver.
type objects struct {
	client *s3.S3
	bucket string
	prefix string // key of driver path "/": the rootdirectory, "" or "dir/"
	// page is the keys a listing of listRanges asks for at once: 0 for
	// 1,000, S3's most (tests ask for fewer, to list pages of few keys).
	page int64
	// snapshotLimit, when not 0, replaces SnapshotKeyLimit (tests).
	snapshotLimit int
}

// deleteBatch is the most keys one DeleteObjects takes.
const deleteBatch = 1000

// newObjects connects to the bucket of the s3 driver parameters params
// (already accepted by the driver). It returns nil for what it does not
// speak (signature version 2): the driver alone serves those.
func newObjects(params map[string]interface{}) (*objects, error) {
	str := func(k string) string {
		if v, ok := params[k]; ok && v != nil {
			return fmt.Sprint(v)
		}
		return ""
	}
	flag := func(k string, def bool) (bool, error) {
		switch v := params[k].(type) {
		case nil:
			return def, nil
		case bool:
			return v, nil
		case string:
			return strconv.ParseBool(v)
		default:
			return false, fmt.Errorf("%w: s3 parameter %s: %v is not a boolean", ErrConfig, k, v)
		}
	}
	v4, err := flag("v4auth", true)
	if err != nil || !v4 {
		return nil, err
	}
	secure, err := flag("secure", true)
	if err != nil {
		return nil, err
	}
	skipVerify, err := flag("skipverify", false)
	if err != nil {
		return nil, err
	}
	boot, err := session.NewSession()
	if err != nil {
		return nil, fmt.Errorf("%w: s3 session: %w", ErrConfig, err)
	}
	cfg := aws.NewConfig().
		WithRegion(str("region")).
		WithDisableSSL(!secure).
		WithCredentials(credentials.NewChainCredentials([]credentials.Provider{
			&credentials.StaticProvider{Value: credentials.Value{AccessKeyID: str("accesskey"), SecretAccessKey: str("secretkey")}},
			&credentials.EnvProvider{},
			&credentials.SharedCredentialsProvider{},
			&ec2rolecreds.EC2RoleProvider{Client: ec2metadata.New(boot)},
		})).
		WithHTTPClient(&http.Client{Transport: objectTransport(skipVerify)})
	if ep := str("regionendpoint"); ep != "" {
		cfg = cfg.WithEndpoint(ep).WithS3ForcePathStyle(true)
	}
	sess, err := session.NewSession(cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: s3 session: %w", ErrConfig, err)
	}
	prefix := strings.TrimLeft(strings.TrimRight(str("rootdirectory"), "/"), "/")
	if prefix != "" {
		prefix += "/"
	}
	client := s3.New(sess)
	if ua := str("useragent"); ua != "" {
		client.Handlers.Build.PushBack(func(r *request.Request) { r.HTTPRequest.Header.Set("User-Agent", ua) })
	}
	return &objects{client: client, bucket: str("bucket"), prefix: prefix}, nil
}

// objectTransport keeps enough idle connections for --jobs requests at
// once (Go's default keeps 2 per host and opens a connection for nearly
// every request beyond that), and applies skipverify as the driver does.
// It stays an *http.Transport, which aws-sdk-go needs to apply
// AWS_CA_BUNDLE.
func objectTransport(skipVerify bool) *http.Transport {
	t := &http.Transport{Proxy: http.ProxyFromEnvironment}
	if d, ok := http.DefaultTransport.(*http.Transport); ok {
		t = d.Clone()
	}
	t.MaxIdleConnsPerHost = 256
	if skipVerify {
		t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the registry's own skipverify
	}
	return t
}

func (o *objects) key(p string) string  { return o.prefix + strings.TrimLeft(p, "/") }
func (o *objects) path(k string) string { return "/" + strings.TrimPrefix(k, o.prefix) }

// listTree calls f with the driver path, size and modification time of
// every object beneath directory dir, in key order.
func (o *objects) listTree(ctx context.Context, dir string, f func(p string, size int64, mod time.Time)) error {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(o.bucket), Prefix: aws.String(o.key(dir) + "/"), MaxKeys: aws.Int64(1000),
		EncodingType: aws.String(s3.EncodingTypeUrl)}
	err := o.pages(ctx, in, func(page *s3.ListObjectsV2Output, _ bool) bool {
		for _, obj := range page.Contents {
			f(o.path(listedKey(obj.Key)), aws.Int64Value(obj.Size), aws.TimeValue(obj.LastModified))
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("listing %s: %w", dir, err)
	}
	return nil
}

// leafGroups is a set of leaves and the roots that list them, each root
// listed once.
type leafGroups struct {
	leaves []Leaf
	roots  []string         // distinct roots, in first-seen order
	byDir  map[string][]int // leaf indexes of each directory
}

func groupLeaves(n int, leaf func(int) Leaf) *leafGroups {
	g := &leafGroups{leaves: make([]Leaf, n), byDir: make(map[string][]int, n)}
	seen := map[string]bool{}
	for i := range n {
		l := leaf(i)
		g.leaves[i] = l
		if !seen[l.Root] {
			seen[l.Root] = true
			g.roots = append(g.roots, l.Root)
		}
		g.byDir[l.Dir] = append(g.byDir[l.Dir], i)
	}
	return g
}

// owner is the directory of a wanted leaf that object p lies beneath.
func (g *leafGroups) owner(root, p string) (string, bool) {
	for q := path.Dir(p); len(q) > len(root); q = path.Dir(q) {
		if _, ok := g.byDir[q]; ok {
			return q, true
		}
	}
	return "", false
}

func (o *objects) statLeaves(ctx context.Context, n, jobs int, leaf func(int) Leaf) ([]LeafInfo, error) {
	g := groupLeaves(n, leaf)
	out := make([]LeafInfo, n)
	err := Each(ctx, len(g.roots), jobs, func(ctx context.Context, r int) error {
		root := g.roots[r]
		return o.listTree(ctx, root, func(p string, size int64, mod time.Time) {
			dir, ok := g.owner(root, p)
			if !ok || !safeDriverPath(p) { // an odd key is no part of a leaf
				return
			}
			for _, i := range g.byDir[dir] {
				switch {
				case p == dir+"/"+g.leaves[i].File:
					out[i] = LeafInfo{Exists: true, Size: size, ModTime: mod}
				case !out[i].Exists:
					out[i] = LeafInfo{Exists: true, NoFile: true} // a directory: no time of its own
				}
			}
		})
	})
	return out, err
}

// object is a key found beneath leaf directory dir.
type object struct{ path, dir string }

func (o *objects) deleteLeaves(ctx context.Context, n, jobs int, leaf func(int) Leaf, done func(int)) error {
	g := groupLeaves(n, leaf)
	found := make([][]object, len(g.roots))
	err := Each(ctx, len(g.roots), jobs, func(ctx context.Context, r int) error {
		root := g.roots[r]
		return o.listTree(ctx, root, func(p string, _ int64, _ time.Time) {
			if dir, ok := g.owner(root, p); ok && safeDriverPath(p) { // an odd key is left alone
				found[r] = append(found[r], object{p, dir})
			}
		})
	})
	if err != nil {
		return err
	}
	// Each leaf is done when the last batch holding one of its objects is.
	left := make([]atomic.Int32, n)
	var batches [][]object
	var batch []object
	for _, objs := range found {
		for _, obj := range objs {
			for _, i := range g.byDir[obj.dir] {
				left[i].Add(1)
			}
			if batch = append(batch, obj); len(batch) == deleteBatch {
				batches, batch = append(batches, batch), nil
			}
		}
	}
	if len(batch) > 0 {
		batches = append(batches, batch)
	}
	for i := range n {
		if left[i].Load() == 0 {
			done(i) // gone already
		}
	}
	return Each(ctx, len(batches), jobs, func(ctx context.Context, b int) error {
		ps := make([]string, len(batches[b]))
		for k, obj := range batches[b] {
			ps[k] = obj.path
		}
		if err := o.deleteKeys(ctx, ps); err != nil {
			return err
		}
		for _, obj := range batches[b] {
			for _, i := range g.byDir[obj.dir] {
				if left[i].Add(-1) == 0 {
					done(i)
				}
			}
		}
		return nil
	})
}

// tagHistories fills hist and errs (see Storage.TagHistoryLinks) from
// one listing of repo's tags: keys <tag>/index/sha256/<hex>/... .
func (o *objects) tagHistories(ctx context.Context, repo string, tags []string, hist []Links, errs []error) error {
	want := make(map[string]int, len(tags))
	for i, t := range tags {
		want[t] = i
	}
	root := TagsPath(repo) + "/"
	history := indexDir[1:] + "/" // "index/sha256/"
	found := make([]leafListing, len(tags))
	err := o.listTree(ctx, TagsPath(repo), func(p string, size int64, _ time.Time) {
		tag, rest, _ := strings.Cut(strings.TrimPrefix(p, root), "/")
		i, ok := want[tag]
		if !ok || !strings.HasPrefix(rest, history) || !safeDriverPath(p) {
			return
		}
		name, leaf, _ := strings.Cut(rest[len(history):], "/")
		found[i].note(name, leaf, size)
	})
	if err != nil {
		return err
	}
	for i := range tags {
		hist[i], errs[i] = found[i].links(TagIndexPath(repo, tags[i]))
		hist[i].sort()
	}
	return nil
}
