package cli

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// completionCommand prints the completion scripts (also written by make
// docs under docs/completion).
func completionCommand() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print the shell completion script for bash or zsh",
		ArgsUsage: "bash|zsh",
		Description: "bash: source <(regprune completion bash), or save it as /etc/bash_completion.d/regprune.\n" +
			"zsh: regprune completion zsh > \"${fpath[1]}/_regprune\", then start a new shell.",
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("completion takes one argument: bash or zsh")
			}
			switch c.Args().First() {
			case "bash":
				_, err := fmt.Fprint(c.App.Writer, bashCompletion)
				return err
			case "zsh":
				_, err := fmt.Fprint(c.App.Writer, zshCompletion)
				return err
			}
			return usagef("completion %q: want bash or zsh", c.Args().First())
		},
	}
}

// The scripts ask regprune itself for the candidates: urfave/cli answers
// `regprune ARGS... --generate-bash-completion` with the commands or, after
// a "-", the flags that fit at that point.
const bashCompletion = `# bash completion for regprune: source this file, or save it as
# /etc/bash_completion.d/regprune (regprune completion bash > ...).
_regprune() {
  local cur="${COMP_WORDS[COMP_CWORD]}"
  local -a line=("${COMP_WORDS[@]:0:COMP_CWORD}")
  local IFS=$'\n'
  local candidates
  if [[ "$cur" == -* ]]; then
    candidates=$("${line[@]}" "$cur" --generate-bash-completion 2>/dev/null)
  else
    candidates=$("${line[@]}" --generate-bash-completion 2>/dev/null)
  fi
  COMPREPLY=($(compgen -W "$candidates" -- "$cur"))
  if [[ ${#COMPREPLY[@]} -eq 0 ]]; then
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -F _regprune regprune
`

const zshCompletion = `#compdef regprune
# zsh completion for regprune: save as _regprune in a directory of $fpath
# (regprune completion zsh > "${fpath[1]}/_regprune"), then start a new shell.
_regprune() {
  local cur=${words[CURRENT]}
  local -a line candidates
  line=("${(@)words[1,CURRENT-1]}")
  if [[ $cur == -* ]]; then
    candidates=("${(@f)$("${(@)line}" "$cur" --generate-bash-completion 2>/dev/null)}")
  else
    candidates=("${(@f)$("${(@)line}" --generate-bash-completion 2>/dev/null)}")
  fi
  candidates=(${candidates:#})
  if (( ${#candidates} )); then
    compadd -a candidates
  else
    _files
  fi
}
compdef _regprune regprune
`
