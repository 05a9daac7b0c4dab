//! Compiles the contracts under `hamafza/` with protox (no `protoc` needed) and
//! generates prost messages plus tonic clients and servers. The encoded file
//! descriptor set is kept for gRPC server reflection.

use std::path::{Path, PathBuf};

use prost::Message;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut protos = Vec::new();
    collect_protos(&root.join("hamafza"), &mut protos)?;
    protos.sort();
    let relative: Vec<PathBuf> = protos
        .iter()
        .map(|path| path.strip_prefix(root).map(Path::to_path_buf))
        .collect::<Result<_, _>>()?;

    let descriptors = protox::compile(&relative, [root])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("hamafza_descriptor.bin"),
        descriptors.encode_to_vec(),
    )?;
    tonic_prost_build::configure()
        .emit_rerun_if_changed(false)
        .compile_fds(descriptors)?;

    println!("cargo:rerun-if-changed=hamafza");
    for proto in &protos {
        println!("cargo:rerun-if-changed={}", proto.display());
    }
    Ok(())
}

fn collect_protos(dir: &Path, found: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_protos(&path, found)?;
        } else if path.extension().is_some_and(|ext| ext == "proto") {
            found.push(path);
        }
    }
    Ok(())
}
