package regtest

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

func TestSmoke(t *testing.T) {
	r := Start(t, t.TempDir())
	img, err := random.Image(100, 2)
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := name.ParseReference(r.Host+"/a/b:t1", name.Insecure)
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	got, err := remote.Image(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(got); err != nil {
		t.Fatal(err)
	}
}
