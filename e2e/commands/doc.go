// Package commands runs every regprune command end to end, in-process
// (cli.Run), on storages filled through a real distribution registry:
// flags, output (text and --json), exit statuses, the lock, logs and
// --metrics-file, and that what a command leaves still pulls whole.
package commands
