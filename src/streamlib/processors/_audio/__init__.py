"""Audio processors: devices, generators, mixing, level, resampling, CLAP plug-ins."""
