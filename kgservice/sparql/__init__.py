"""SPARQL text without a store: a lexer, request guards, and the rewrite of protocol datasets."""
