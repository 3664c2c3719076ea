"""The project model: which files deploy together (bundles), what role each file plays, and
how images link to the Dockerfiles that build them. Cross-file rules only ever combine objects
of one bundle, so a finding never depends on which files were named on the command line."""
