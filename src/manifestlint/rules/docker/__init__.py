"""Dockerfile rules, one module per topic: pure functions of a parsed `Dockerfile`.

Conventions shared by every rule here:

- "The image" is the final stage plus the stages it is built `FROM` (its parent chain). Rules
  about what ships (user, healthcheck, caches, build tools) look only there; a builder stage's
  layers never reach production, and flagging them is hadolint's most complained-about noise.
- Shell text is read by a small tokenizer (`common._commands`): words with their offsets, split
  into simple commands at `&&`, `||`, `;`, `|`, `&` and newlines. That is enough to see
  `apt-get install` as a command rather than a substring, without a full shell parser.
- A finding points at the offending token (a tag, a flag value, a command word); a missing
  property points at the stage's last relevant instruction, else its FROM.
"""
