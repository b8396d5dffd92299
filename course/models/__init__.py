"""Speaker-embedding models: frames ``(B, 80, T)`` (+ ``lengths``) → ``(B, embed_dim)``."""
