// Package imports checks the import rules between regprune's packages
// with go list: storage <- scan, retention <- gc <- internal/cli <- main,
// helpers under internal/ using at most storage, and nothing but main
// importing the command layer.
package imports
