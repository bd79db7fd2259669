"""WGSL of the format conversions that uploads and downloads run on the GPU."""

from __future__ import annotations

__all__ = ["PACK_WGSL", "UNPACK_WGSL"]

# Unpack: raw frame bytes (any pixel format) in a storage buffer -> rgba8unorm texture.
UNPACK_WGSL = """
struct Params { width: u32, height: u32, format: u32, _pad: u32 }

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var dst: texture_storage_2d<rgba8unorm, write>;
@group(0) @binding(2) var<uniform> params: Params;

fn byte_at(i: u32) -> f32 {
    return f32((src[i >> 2u] >> ((i & 3u) * 8u)) & 0xffu);
}

// BT.601 limited range, as FFmpeg's swscale assumes when nothing says otherwise.
fn yuv_to_rgb(y: f32, u: f32, v: f32) -> vec3<f32> {
    let c = 1.164383 * (y - 16.0);
    let d = u - 128.0;
    let e = v - 128.0;
    return vec3<f32>(c + 1.596027 * e, c - 0.391762 * d - 0.812968 * e, c + 2.017232 * d) / 255.0;
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    let w = params.width;
    let h = params.height;
    if (id.x >= w || id.y >= h) { return; }
    let p = id.y * w + id.x;
    var rgba = vec4<f32>(0.0, 0.0, 0.0, 1.0);
    switch params.format {
        case 0u: { // rgba
            rgba = vec4<f32>(byte_at(p * 4u), byte_at(p * 4u + 1u), byte_at(p * 4u + 2u),
                             byte_at(p * 4u + 3u)) / 255.0;
        }
        case 1u: { // bgra
            rgba = vec4<f32>(byte_at(p * 4u + 2u), byte_at(p * 4u + 1u), byte_at(p * 4u),
                             byte_at(p * 4u + 3u)) / 255.0;
        }
        case 2u: { // rgb24
            rgba = vec4<f32>(vec3<f32>(byte_at(p * 3u), byte_at(p * 3u + 1u),
                                       byte_at(p * 3u + 2u)) / 255.0, 1.0);
        }
        case 3u: { // gray8
            rgba = vec4<f32>(vec3<f32>(byte_at(p) / 255.0), 1.0);
        }
        case 4u: { // yuv420p: Y plane, then U and V planes at half size
            let chroma = (id.y / 2u) * (w / 2u) + id.x / 2u;
            let u = byte_at(w * h + chroma);
            let v = byte_at(w * h + (w / 2u) * (h / 2u) + chroma);
            let rgb = yuv_to_rgb(byte_at(p), u, v);
            rgba = vec4<f32>(clamp(rgb, vec3<f32>(0.0), vec3<f32>(1.0)), 1.0);
        }
        default: { // nv12: Y plane, then interleaved UV rows at half height
            let chroma = w * h + (id.y / 2u) * w + (id.x / 2u) * 2u;
            let rgb = yuv_to_rgb(byte_at(p), byte_at(chroma), byte_at(chroma + 1u));
            rgba = vec4<f32>(clamp(rgb, vec3<f32>(0.0), vec3<f32>(1.0)), 1.0);
        }
    }
    textureStore(dst, vec2<i32>(id.xy), rgba);
}
"""

# Pack: rgba8unorm texture -> the bytes of a packed pixel format, one u32 word per thread.
PACK_WGSL = """
struct Params { width: u32, height: u32, format: u32, words: u32 }

@group(0) @binding(0) var src: texture_2d<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

fn channel(i: u32, bytes_per_pixel: u32) -> u32 {
    let p = i / bytes_per_pixel;
    let c = i % bytes_per_pixel;
    let texel = textureLoad(src, vec2<u32>(p % params.width, p / params.width), 0);
    var value = 0.0;
    switch params.format {
        case 1u: { // bgra
            let swizzled = array<f32, 4>(texel.b, texel.g, texel.r, texel.a);
            value = swizzled[c];
        }
        case 2u: { // rgb24
            value = texel[c];
        }
        case 3u: { // gray8, BT.601 luma
            value = dot(texel.rgb, vec3<f32>(0.299, 0.587, 0.114));
        }
        default: {
            value = texel[c];
        }
    }
    return u32(round(clamp(value, 0.0, 1.0) * 255.0));
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    let word = id.x + id.y * 65535u * 64u;
    if (word >= params.words) { return; }
    var bytes_per_pixel = 4u;
    if (params.format == 2u) { bytes_per_pixel = 3u; }
    if (params.format == 3u) { bytes_per_pixel = 1u; }
    let total = params.width * params.height * bytes_per_pixel;
    var packed = 0u;
    for (var b = 0u; b < 4u; b = b + 1u) {
        let i = word * 4u + b;
        if (i < total) {
            packed = packed | (channel(i, bytes_per_pixel) << (b * 8u));
        }
    }
    dst[word] = packed;
}
"""
