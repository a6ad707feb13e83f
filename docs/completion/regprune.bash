# bash completion for regprune: source this file, or save it as
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
