"""Video processors outside the GPU family: camera, test pattern, conversion, window."""
