package storage

import (
	"encoding/hex"
	"path"
	"strings"
)

// The registry's on-disk layout, written down once. Every path regprune
// reads, writes or deletes is built here; every other package asks these
// functions. Paths are storage-driver paths: absolute, "/"-separated,
// relative to the driver's root (the registry's rootdirectory).
//
//	/docker/registry/v2/
//	  .regprune.lock                                  LockPath (regprune's own)
//	  .regprune/                                      StatePath (regprune's own state)
//	    <name...>                                     StateFilePath
//	  blobs/                                          BlobsRoot
//	    sha256/                                       BlobAlgorithmPath
//	      <hex[0:2]>/                                 BlobPrefixPath
//	        <hex>/                                    BlobPath
//	          data                                    BlobDataPath
//	  repositories/                                   RepositoriesPath
//	    <name...>/                                    RepositoryPath
//	      _layers/sha256/                             LayerLinksPath
//	        <hex>/                                    LayerLinkDirPath
//	          link                                    LayerLinkPath
//	      _manifests/                                 ManifestsPath
//	        revisions/sha256/                         RevisionsPath
//	          <hex>/                                  RevisionPath
//	            link                                  RevisionLinkPath
//	        tags/                                     TagsPath
//	          <tag>/                                  TagPath
//	            current/link                          TagCurrentLinkPath
//	            index/sha256/                         TagIndexPath
//	              <hex>/                              TagIndexEntryPath
//	                link                              TagIndexLinkPath
//	      _uploads/                                   UploadsPath
//	        <uuid>/                                   UploadPath
//	          startedat                               UploadStartedAtPath
//	          data, hashstates/...
//
// A link holds exactly "sha256:<64 hex>". A directory is a repository when
// it has a _manifests child; names nest (a/b lives inside a).
const (
	// V2Path is the root of everything the registry stores.
	V2Path = "/docker/registry/v2"
	// LockName is the file name of regprune's lock, inside V2Path.
	LockName = ".regprune.lock"
	// StateDir is the directory of regprune's own state (journal, pull
	// history, caches), inside V2Path.
	StateDir = ".regprune"

	// Directory names with a meaning in the layout.
	LayersDir    = "_layers"
	ManifestsDir = "_manifests"
	UploadsDir   = "_uploads"
	RevisionsDir = "revisions"
	TagsDir      = "tags"
	CurrentDir   = "current"
	IndexDir     = "index"
	LinkFile     = "link"
	DataFile     = "data"
	StartedAt    = "startedat"
	Algorithm    = algorithm
)

// Fixed prefixes, so that each path below is built with one allocation
// (gc builds a path for every object it stats or deletes).
const (
	blobsRoot        = V2Path + "/blobs"
	blobAlgorithm    = blobsRoot + "/" + algorithm
	repositoriesRoot = V2Path + "/repositories"
	layerLinksDir    = "/" + LayersDir + "/" + algorithm
	manifestsDir     = "/" + ManifestsDir
	revisionsDir     = manifestsDir + "/" + RevisionsDir + "/" + algorithm
	tagsDir          = manifestsDir + "/" + TagsDir
	currentLink      = "/" + CurrentDir + "/" + LinkFile
	indexDir         = "/" + IndexDir + "/" + algorithm
	uploadsDir       = "/" + UploadsDir
)

// hexOf is d's hex form in an array: converted in a concatenation, it
// costs no allocation of its own.
func hexOf(d Digest) [hexLen]byte {
	var h [hexLen]byte
	hex.Encode(h[:], d[:])
	return h
}

// LockPath is the driver path of regprune's lock file.
func LockPath() string { return V2Path + "/" + LockName }

// StatePath is the directory of regprune's own state.
func StatePath() string { return V2Path + "/" + StateDir }

// StateFilePath is the driver path of state file (or directory) name, a
// "/"-separated path below StatePath (see ValidStateName).
func StateFilePath(name string) string { return V2Path + "/" + StateDir + "/" + name }

// BlobsRoot holds the blob store, one directory per algorithm.
func BlobsRoot() string { return blobsRoot }

// BlobAlgorithmPath holds the 256 two-hex-digit prefix directories.
func BlobAlgorithmPath() string { return blobAlgorithm }

// BlobPrefixPath is the directory of blobs whose hex starts with prefix.
func BlobPrefixPath(prefix string) string { return blobAlgorithm + "/" + prefix }

// BlobPath is the directory of one blob.
func BlobPath(d Digest) string {
	h := hexOf(d)
	return blobAlgorithm + "/" + string(h[:2]) + "/" + string(h[:])
}

// BlobDataPath is the file holding the blob's bytes.
func BlobDataPath(d Digest) string {
	h := hexOf(d)
	return blobAlgorithm + "/" + string(h[:2]) + "/" + string(h[:]) + "/" + DataFile
}

// RepositoriesPath holds every repository.
func RepositoriesPath() string { return repositoriesRoot }

// RepositoryPath is the directory of the named repository (name may nest).
func RepositoryPath(repo string) string { return repositoriesRoot + "/" + repo }

// LayerLinksPath holds the repository's layer links, one directory each.
func LayerLinksPath(repo string) string { return repositoriesRoot + "/" + repo + layerLinksDir }

// LayerLinkDirPath is the directory of one layer link.
func LayerLinkDirPath(repo string, d Digest) string {
	h := hexOf(d)
	return repositoriesRoot + "/" + repo + layerLinksDir + "/" + string(h[:])
}

// LayerLinkPath is the link file that lets repo serve blob d.
func LayerLinkPath(repo string, d Digest) string {
	h := hexOf(d)
	return repositoriesRoot + "/" + repo + layerLinksDir + "/" + string(h[:]) + "/" + LinkFile
}

// ManifestsPath holds revisions and tags.
func ManifestsPath(repo string) string { return repositoriesRoot + "/" + repo + manifestsDir }

// RevisionsPath holds the repository's manifest revisions.
func RevisionsPath(repo string) string { return repositoriesRoot + "/" + repo + revisionsDir }

// RevisionPath is the directory of one manifest revision.
func RevisionPath(repo string, d Digest) string {
	h := hexOf(d)
	return repositoriesRoot + "/" + repo + revisionsDir + "/" + string(h[:])
}

// RevisionLinkPath is the link that says manifest d exists in repo.
func RevisionLinkPath(repo string, d Digest) string {
	h := hexOf(d)
	return repositoriesRoot + "/" + repo + revisionsDir + "/" + string(h[:]) + "/" + LinkFile
}

// TagsPath holds the repository's tags.
func TagsPath(repo string) string { return repositoriesRoot + "/" + repo + tagsDir }

// TagPath is the directory of one tag; removing it removes the tag.
func TagPath(repo, tag string) string { return repositoriesRoot + "/" + repo + tagsDir + "/" + tag }

// TagCurrentLinkPath holds the tag's current manifest; its modification
// time is the tag's last push.
func TagCurrentLinkPath(repo, tag string) string {
	return repositoriesRoot + "/" + repo + tagsDir + "/" + tag + currentLink
}

// TagIndexPath holds the tag's history: every manifest it pointed to.
func TagIndexPath(repo, tag string) string {
	return repositoriesRoot + "/" + repo + tagsDir + "/" + tag + indexDir
}

// TagIndexEntryPath is the history entry of manifest d in tag.
func TagIndexEntryPath(repo, tag string, d Digest) string {
	h := hexOf(d)
	return repositoriesRoot + "/" + repo + tagsDir + "/" + tag + indexDir + "/" + string(h[:])
}

// TagIndexLinkPath is the link file of a history entry.
func TagIndexLinkPath(repo, tag string, d Digest) string {
	h := hexOf(d)
	return repositoriesRoot + "/" + repo + tagsDir + "/" + tag + indexDir + "/" + string(h[:]) + "/" + LinkFile
}

// UploadsPath holds the repository's upload sessions.
func UploadsPath(repo string) string { return repositoriesRoot + "/" + repo + uploadsDir }

// UploadPath is the directory of one upload session.
func UploadPath(repo, id string) string { return repositoriesRoot + "/" + repo + uploadsDir + "/" + id }

// UploadStartedAtPath holds the RFC 3339 time the upload started.
func UploadStartedAtPath(repo, id string) string {
	return repositoriesRoot + "/" + repo + uploadsDir + "/" + id + "/" + StartedAt
}

// Base is the last element of a driver path.
func Base(p string) string { return path.Base(p) }

// RepositoryName turns a repository directory's driver path back into its
// name; ok is false for paths outside RepositoriesPath.
func RepositoryName(p string) (name string, ok bool) {
	prefix := RepositoriesPath() + "/"
	if !strings.HasPrefix(p, prefix) || len(p) == len(prefix) {
		return "", false
	}
	return p[len(prefix):], true
}
