package retention

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"

	"github.com/regprune/regprune/storage"
)

const imageRefHex = "8b4871d4dce08b30a7c9948bdcbb9a48afe1bb22597a42d5ef21c76210abdb5b"

func refString(r ImageRef) string {
	s := fmt.Sprintf("%s | %s | %s", r.Source, r.Host, strings.Join(r.Repositories(), ","))
	if r.Tag != "" {
		s += " :" + r.Tag
	}
	if !r.Digest.IsZero() {
		s += " @" + r.Digest.Short()
	}
	return s
}

// A list as kubectl prints it (all on one line), then one a line with
// comments; hosts, Docker Hub names, digests, and what no runtime pulls.
func TestParseImageRefs(t *testing.T) {
	in := "registry.example.com:5000/team/app:v1 nginx registry.example.com:5000/team/app@sha256:" + imageRefHex + " bitnami/redis:7.2\n" +
		"# images of the batch jobs\n" +
		"localhost/tools:1 # a comment after a reference\n" +
		"\tdocker.io/nginx:1.25@sha256:" + imageRefHex + "\r\n" +
		"[::1]:5000/app REGISTRY.local/App:v1 Registry.local/app:v1\n" +
		"docker-pullable://registry.example.com:5000/team/app@sha256:" + imageRefHex + "\n" +
		"team/app@sha512:" + strings.Repeat("ab", 64) + " " + imageRefHex + " app:-x " + strings.Repeat("a", 2000) + "\n"
	refs, invalid, err := ParseImageRefs(strings.NewReader(in), "pods.txt")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range refs {
		got = append(got, refString(r))
	}
	want := []string{
		"pods.txt line 1 | registry.example.com:5000 | team/app :v1",
		"pods.txt line 1 word 2 | docker.io | library/nginx,nginx :latest",
		"pods.txt line 1 word 3 | registry.example.com:5000 | team/app @sha256:8b4871d4dce0",
		"pods.txt line 1 word 4 | docker.io | bitnami/redis :7.2",
		"pods.txt line 3 | localhost | tools :1",
		"pods.txt line 4 | docker.io | library/nginx :1.25 @sha256:8b4871d4dce0",
		"pods.txt line 5 | [::1]:5000 | app :latest",
		"pods.txt line 5 word 3 | Registry.local | app :v1",
		"pods.txt line 6 | registry.example.com:5000 | team/app @sha256:8b4871d4dce0",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("refs:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	got = nil
	for _, e := range invalid {
		got = append(got, e.Source)
	}
	wantInvalid := []string{"pods.txt line 5 word 2", "pods.txt line 7", "pods.txt line 7 word 2", "pods.txt line 7 word 3", "pods.txt line 7 word 4"}
	if strings.Join(got, "; ") != strings.Join(wantInvalid, "; ") {
		t.Errorf("invalid: %v\nwant %v", invalid, wantInvalid)
	}
	if refs[0].Reason() != "in use: pods.txt line 1" {
		t.Errorf("reason %q", refs[0].Reason())
	}
	if _, _, err := ParseImageRefs(strings.NewReader("a"), "-"); err != nil {
		t.Fatal(err)
	}
	if refs, _, _ := ParseImageRefs(strings.NewReader("a"), "-"); refs[0].Source != "stdin line 1" {
		t.Errorf("source %q, want stdin line 1", refs[0].Source)
	}
}

func imageRefDigest(s string) storage.Digest { return storage.Digest(sha256.Sum256([]byte(s))) }

func TestImageRefSet(t *testing.T) {
	image, index, child := imageRefDigest("image"), imageRefDigest("index"), imageRefDigest("child")
	list := "registry.example.com/team/app:v1\n" +
		"registry.example.com/team/app@" + child.String() + "\n" +
		"other.example.com/team/app:v2\n" +
		"nginx:1.25\n" +
		"registry.example.com/gone:v1\n" +
		"REGISTRY.example.com/team/app@" + image.String() + "\n"
	refs, invalid, err := ParseImageRefs(strings.NewReader(list), "pods.txt")
	if err != nil || len(invalid) != 0 {
		t.Fatal(err, invalid)
	}
	exists := func(repo string) bool { return repo == "team/app" || repo == "nginx" }
	for _, tc := range []struct {
		host            string
		other, missing  string
		v1, v2, multi   string
		byImage, nginxT string
	}{
		{
			host: "", other: "", missing: "pods.txt line 5",
			v1: "pods.txt line 1", v2: "pods.txt line 3", multi: "pods.txt line 2", byImage: "pods.txt line 6", nginxT: "pods.txt line 4",
		},
		{
			host: "Registry.Example.com", other: "pods.txt line 3, pods.txt line 4", missing: "pods.txt line 5",
			v1: "pods.txt line 1", v2: "-", multi: "pods.txt line 2", byImage: "pods.txt line 6", nginxT: "-",
		},
	} {
		s := NewImageRefSet(refs, tc.host)
		if got := refSources(s.OtherHosts()); got != tc.other {
			t.Errorf("host %q: other hosts %q, want %q", tc.host, got, tc.other)
		}
		if got := refSources(s.Missing(exists)); got != tc.missing {
			t.Errorf("host %q: missing %q, want %q", tc.host, got, tc.missing)
		}
		keeps := func(repo, tag string, d storage.Digest, children ...storage.Digest) string {
			r, ok := s.Keeps(repo, tag, d, children)
			if !ok {
				return "-"
			}
			return r.Source
		}
		for _, c := range []struct{ name, got, want string }{
			{"v1", keeps("team/app", "v1", imageRefDigest("x")), tc.v1},
			{"v2", keeps("team/app", "v2", imageRefDigest("y")), tc.v2},
			{"an index holding the child", keeps("team/app", "multi", index, image, child), tc.multi},
			{"a tag on the image", keeps("team/app", "also", image), tc.byImage},
			{"nginx:1.25 in the short name's repository", keeps("nginx", "1.25", imageRefDigest("z")), tc.nginxT},
			{"an unused tag", keeps("team/app", "v3", imageRefDigest("w")), "-"},
			{"v1 of another repository", keeps("other", "v1", image), "-"},
		} {
			if c.got != c.want {
				t.Errorf("host %q: %s kept by %q, want %q", tc.host, c.name, c.got, c.want)
			}
		}
	}
}

func refSources(refs []ImageRef) string {
	var s []string
	for _, r := range refs {
		s = append(s, r.Source)
	}
	return strings.Join(s, ", ")
}

// FuzzParseImageRefs: every reference read has a place, names a repository
// distribution accepts, a valid tag or a digest, and reads back the same
// from its text; every word is a reference or an invalid one.
func FuzzParseImageRefs(f *testing.F) {
	f.Add("registry.example.com:5000/team/app:v1 nginx\n# c\nlocalhost/x@sha256:" + imageRefHex + " Bad/Name\n")
	f.Add("docker-pullable://a/b@sha256:" + imageRefHex + "\t[::1]:5000/app:v1\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		refs, invalid, err := ParseImageRefs(strings.NewReader(in), "f")
		if err != nil {
			t.Fatal(err)
		}
		words := 0
		for _, line := range strings.Split(in, "\n") {
			line, _, _ = strings.Cut(line, "#")
			words += len(strings.FieldsFunc(line, func(r rune) bool { return strings.ContainsRune(" \t\r\v\f", r) }))
		}
		if len(refs)+len(invalid) != words {
			t.Fatalf("%d refs and %d invalid of %d words", len(refs), len(invalid), words)
		}
		for _, r := range refs {
			switch {
			case r.Source == "":
				t.Fatalf("%q: no source", r.Text)
			case storage.ValidRepository(r.Repository) != nil:
				t.Fatalf("%q: repository %q invalid", r.Text, r.Repository)
			case r.Tag != "" && storage.ValidTag(r.Tag) != nil:
				t.Fatalf("%q: tag %q invalid", r.Text, r.Tag)
			case r.Tag == "" && r.Digest.IsZero():
				t.Fatalf("%q: neither tag nor digest", r.Text)
			}
			again, err := ParseImageRef(r.Text)
			again.Source = r.Source
			if err != nil || refString(again) != refString(r) {
				t.Fatalf("%q reads back as %v %v", r.Text, again, err)
			}
		}
	})
}
