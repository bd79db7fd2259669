"""GPU processors (the gpu extra): effects, shaders, overlays, the compositor."""
