//! The Blender command line for a chunk: one `blender -b` process renders every run of the
//! chunk's frames, so Blender starts and loads the scene once. Settings from the spec are
//! applied by a short Python expression; denoising is turned off, with a note in the log,
//! when this Blender build has no OpenImageDenoiser (Debian's builds do not).

use std::path::{Path, PathBuf};

use framefarm_crds::FrameSet;
use framefarm_crds::engine::{
    BlenderEngine, BlenderOutputFormat, BlenderRenderEngine, CyclesDevice,
};

use super::Invocation;

/// Options that must come before the scene is loaded to have any effect.
const BEFORE_LOAD: &[&str] = &[
    "--factory-startup",
    "--enable-autoexec",
    "-y",
    "--disable-autoexec",
    "-Y",
    "--log-level",
    "--verbose",
    "--debug-cycles",
    "--debug-memory",
];

/// The program name looked up on PATH, unless the agent is told otherwise.
pub const DEFAULT_PROGRAM: &str = "blender";

/// File name pattern of rendered frames in the work folder: seven `#` cover every frame
/// number the API allows, so names sort and parse the same for all frames.
pub const FRAME_PATTERN: &str = "frame_#######";

/// Where Blender writes its crash report for `scene` when its temporary folder is
/// `temp_dir`: `<scene name without .blend>.crash.txt`.
pub fn crash_report(temp_dir: &Path, scene: &Path) -> PathBuf {
    let stem = scene
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default();
    temp_dir.join(format!("{stem}.crash.txt"))
}

/// The single Blender invocation rendering `frames` of `scene` into `output_dir`. Blender's
/// temporary folder (and so its crash report) goes to `temp_dir`.
pub fn invocation(
    program: &str,
    engine: &BlenderEngine,
    scene: &Path,
    output_dir: &Path,
    temp_dir: &Path,
    frames: &FrameSet,
) -> Invocation {
    let mut args: Vec<String> = Vec::new();
    let mut after_load: Vec<String> = Vec::new();
    let mut target = &mut args;
    for arg in &engine.extra_args {
        // Values follow their option, so they go wherever the option went.
        let is_option = arg.starts_with('-') && arg.parse::<f64>().is_err();
        if is_option {
            target = if BEFORE_LOAD.contains(&arg.as_str()) {
                &mut args
            } else {
                &mut after_load
            };
        }
        target.push(arg.clone());
    }
    args.push("--background".into());
    args.push(scene.display().to_string());
    args.extend(after_load);
    args.push("--python-expr".into());
    args.push(settings_script(engine, temp_dir));
    args.push("--render-output".into());
    args.push(output_dir.join(FRAME_PATTERN).display().to_string());
    args.push("--render-format".into());
    args.push(format_name(engine.output_format).into());
    args.push("--use-extension".into());
    args.push("1".into());
    for run in frames.runs() {
        if run.len() == 1 {
            args.extend(["--render-frame".into(), run.first().to_string()]);
        } else {
            args.extend([
                "--frame-start".into(),
                run.first().to_string(),
                "--frame-end".into(),
                run.last().to_string(),
                "--frame-jump".into(),
                run.step().to_string(),
                "--render-anim".into(),
            ]);
        }
    }
    if let Some(device) = engine.device {
        args.extend([
            "--".into(),
            "--cycles-device".into(),
            device_name(device).into(),
        ]);
    }
    Invocation {
        program: program.into(),
        args,
    }
}

fn format_name(format: BlenderOutputFormat) -> &'static str {
    match format {
        BlenderOutputFormat::Png => "PNG",
        BlenderOutputFormat::OpenExr => "OPEN_EXR",
        BlenderOutputFormat::Jpeg => "JPEG",
    }
}

fn device_name(device: CyclesDevice) -> &'static str {
    match device {
        CyclesDevice::Cpu => "CPU",
        CyclesDevice::Cuda => "CUDA",
        CyclesDevice::Optix => "OPTIX",
        CyclesDevice::Hip => "HIP",
        CyclesDevice::Oneapi => "ONEAPI",
        CyclesDevice::Metal => "METAL",
    }
}

fn engine_name(engine: BlenderRenderEngine) -> &'static str {
    match engine {
        BlenderRenderEngine::Cycles => "CYCLES",
        BlenderRenderEngine::BlenderEevee => "BLENDER_EEVEE",
        BlenderRenderEngine::BlenderEeveeNext => "BLENDER_EEVEE_NEXT",
        BlenderRenderEngine::BlenderWorkbench => "BLENDER_WORKBENCH",
    }
}

/// Python run after the scene is loaded: the spec's overrides, then the denoiser check.
/// Without OpenImageDenoiser the scene's denoiser setting reads as an unknown value, so any
/// denoising is turned off rather than only the OpenImageDenoiser kind.
/// Every value put into it is an enum name, a number or the agent's own work folder, never
/// user text.
fn settings_script(engine: &BlenderEngine, temp_dir: &Path) -> String {
    // A JSON string is a valid Python string literal.
    let temp_dir = serde_json::to_string(&format!("{}/", temp_dir.display())).unwrap_or_default();
    let mut lines = vec![
        "import bpy".to_owned(),
        format!("bpy.context.preferences.filepaths.temporary_directory = {temp_dir}"),
        "scene = bpy.context.scene".to_owned(),
    ];
    if let Some(render_engine) = engine.render_engine {
        lines.push(format!(
            "scene.render.engine = '{}'",
            engine_name(render_engine)
        ));
    }
    if let Some(samples) = engine.samples {
        lines.push(format!(
            "if scene.render.engine == 'CYCLES':\n    scene.cycles.samples = {samples}\n\
             elif hasattr(scene, 'eevee'):\n    scene.eevee.taa_render_samples = {samples}"
        ));
    }
    if let Some(percentage) = engine.resolution_percentage {
        lines.push(format!("scene.render.resolution_percentage = {percentage}"));
    }
    if engine
        .device
        .is_some_and(|device| device != CyclesDevice::Cpu)
    {
        lines.push("scene.cycles.device = 'GPU'".to_owned());
    }
    lines.push(
        "if scene.render.engine == 'CYCLES':\n    import _cycles\n    \
         if not getattr(_cycles, 'with_openimagedenoise', True) and scene.cycles.use_denoising:\n        \
         scene.cycles.use_denoising = False\n        \
         print('framefarm: this Blender build has no OpenImageDenoiser; rendering scene ' + \
         repr(scene.name) + ' without denoising', flush=True)"
            .to_owned(),
    );
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(engine: &BlenderEngine, frames: &str) -> Vec<String> {
        invocation(
            DEFAULT_PROGRAM,
            engine,
            &PathBuf::from("/work/scene/sh010.blend"),
            &PathBuf::from("/work/out"),
            &PathBuf::from("/work/tmp"),
            &FrameSet::parse(frames).unwrap(),
        )
        .args
    }

    fn after(args: &[String], option: &str) -> Vec<String> {
        let at = args.iter().position(|arg| arg == option).unwrap();
        args[at + 1..].to_vec()
    }

    #[test]
    fn each_run_of_the_chunk_is_rendered_by_the_same_process() {
        let args = render(&BlenderEngine::default(), "1-9x2,20,30-32");
        let frames = after(&args, "1");
        assert_eq!(
            frames,
            [
                "--frame-start",
                "1",
                "--frame-end",
                "9",
                "--frame-jump",
                "2",
                "--render-anim",
                "--render-frame",
                "20",
                "--frame-start",
                "30",
                "--frame-end",
                "32",
                "--frame-jump",
                "1",
                "--render-anim",
            ]
        );
        assert_eq!(args[0], "--background");
        assert_eq!(args[1], "/work/scene/sh010.blend");
        assert!(args.contains(&"/work/out/frame_#######".to_owned()));
    }

    #[test]
    fn options_that_act_on_loading_go_before_the_scene() {
        let engine = BlenderEngine {
            extra_args: [
                "--threads",
                "4",
                "-y",
                "--scene",
                "Shot",
                "--factory-startup",
            ]
            .map(String::from)
            .to_vec(),
            ..BlenderEngine::default()
        };
        let args = render(&engine, "1");
        let scene_at = args.iter().position(|arg| arg.ends_with(".blend")).unwrap();
        let position = |wanted: &str| args.iter().position(|arg| arg == wanted).unwrap();
        assert!(position("-y") < scene_at);
        assert!(position("--factory-startup") < scene_at);
        assert!(position("--threads") > scene_at);
        assert_eq!(args[position("--threads") + 1], "4");
        assert_eq!(args[position("--scene") + 1], "Shot");
    }

    #[test]
    fn spec_overrides_and_the_device_reach_blender() {
        let engine = BlenderEngine {
            render_engine: Some(BlenderRenderEngine::Cycles),
            device: Some(CyclesDevice::Optix),
            output_format: BlenderOutputFormat::OpenExr,
            samples: Some(64),
            resolution_percentage: Some(50),
            ..BlenderEngine::default()
        };
        let args = render(&engine, "1-3");
        let script = &after(&args, "--python-expr")[0];
        assert!(script.contains("scene.render.engine = 'CYCLES'"));
        assert!(script.contains("scene.cycles.samples = 64"));
        assert!(script.contains("resolution_percentage = 50"));
        assert!(script.contains("scene.cycles.device = 'GPU'"));
        assert!(script.contains("temporary_directory = \"/work/tmp/\""));
        assert_eq!(after(&args, "--render-format")[0], "OPEN_EXR");
        assert_eq!(args[args.len() - 3..], ["--", "--cycles-device", "OPTIX"]);
    }
}
