//! Writes small test scenes with the real Blender: an animated cube, so that every frame differs,
//! with the size, frame range, engine and failure modes a test asks for. Does not render them;
//! that is the node-agent's job.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use thiserror::Error;

use crate::command::{self, CommandError};

/// What a generated scene looks like and how it renders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SceneOptions {
    pub width: u32,
    pub height: u32,
    pub frame_start: u64,
    pub frame_end: u64,
    /// Transparent film and RGBA output instead of an opaque world background and RGB.
    pub transparent: bool,
    /// Render samples (Cycles and Eevee).
    pub samples: u32,
    /// `scene.cycles.use_denoising`. Debian's Blender 3.4.1 is built without OpenImageDenoiser,
    /// so such a scene fails to render unless the renderer turns denoising off.
    pub denoise: bool,
    /// Kill Blender with SIGSEGV when it reaches this frame. The scene carries a Python text
    /// block registered as a module, which Blender runs only when it opens the file with
    /// `--enable-autoexec` (`-y`); the frames before it render and save normally. Blender's
    /// crash handler writes `<scene>.crash.txt` to its temporary directory, which is /tmp/ from
    /// its preferences whatever `$TMPDIR` says; a runner can move it with
    /// `--python-expr "bpy.context.preferences.filepaths.temporary_directory = '<dir>/'"`
    /// (an existing folder) before `-a`.
    pub crash_at_frame: Option<u64>,
    /// `scene.render.engine`: "CYCLES", "BLENDER_EEVEE" or "BLENDER_WORKBENCH".
    pub engine: &'static str,
}

impl Default for SceneOptions {
    fn default() -> SceneOptions {
        SceneOptions {
            width: 160,
            height: 90,
            frame_start: 1,
            frame_end: 24,
            transparent: false,
            samples: 4,
            denoise: false,
            crash_at_frame: None,
            engine: "CYCLES",
        }
    }
}

/// Why Blender could not be found or could not write a scene. `Debug` prints the message and its
/// causes, so that a test's `expect` shows what went wrong and what to do.
#[derive(Error)]
pub enum BlenderError {
    #[error(
        "failed to find Blender: $BLENDER_BIN is not set and there is no `blender` on PATH; \
         install it with `apt-get install blender`"
    )]
    FindBinary,
    #[error("failed to write the script that makes the scene {path}")]
    WriteScript {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to make the scene {path}")]
    MakeScene {
        path: String,
        #[source]
        source: CommandError,
    },
    #[error("failed to make the scene {path}: Blender succeeded but did not write it")]
    SceneMissing { path: String },
}

impl std::fmt::Debug for BlenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        command::write_chain(self, f)
    }
}

/// Blender: `$BLENDER_BIN` when set, else `blender` on PATH.
pub fn blender_binary() -> Result<PathBuf, BlenderError> {
    command::find_program("BLENDER_BIN", "blender", &[]).ok_or(BlenderError::FindBinary)
}

/// Writes a .blend file at `path` (replacing one that is there) with the factory startup scene
/// — camera, light and a cube — set up as `options` says, the cube moving and turning from
/// the first frame to the last.
pub fn make_scene(path: &Path, options: &SceneOptions) -> Result<(), BlenderError> {
    let blender = blender_binary()?;
    let display = path.display().to_string();
    // A script file rather than `--python-expr`: on failure Blender echoes an expression whole,
    // which would push the Python traceback out of the error's output tail.
    let script = tempfile::Builder::new()
        .prefix("framefarm-scene-")
        .suffix(".py")
        .tempfile()
        .and_then(|mut file| {
            file.write_all(scene_script(options).as_bytes())?;
            Ok(file)
        })
        .map_err(|source| BlenderError::WriteScript {
            path: display.clone(),
            source,
        })?;
    let mut command = Command::new(blender);
    // The path and engine go through argv, so no quoting of user text into Python is needed.
    command
        .args(["-b", "--factory-startup", "--python-exit-code", "1"])
        .arg("--python")
        .arg(script.path())
        .arg("--")
        .arg(path)
        .arg(options.engine);
    command::run(&mut command, None).map_err(|source| BlenderError::MakeScene {
        path: display.clone(),
        source,
    })?;
    if !path.is_file() {
        return Err(BlenderError::SceneMissing { path: display });
    }
    Ok(())
}

/// The Python that Blender runs to build and save the scene; reads the output path and engine
/// from the arguments after `--`.
fn scene_script(options: &SceneOptions) -> String {
    let python_bool = |value: bool| if value { "True" } else { "False" };
    let crash = options
        .crash_at_frame
        .map_or_else(|| "None".to_owned(), |frame| frame.to_string());
    format!(
        r#"
import sys
import bpy

path, engine = sys.argv[sys.argv.index("--") + 1:][:2]
frame_start, frame_end = {frame_start}, {frame_end}
crash_at_frame = {crash}
scene = bpy.context.scene
scene.render.engine = engine
scene.render.resolution_x = {width}
scene.render.resolution_y = {height}
scene.render.resolution_percentage = 100
scene.frame_start = frame_start
scene.frame_end = frame_end
scene.frame_current = frame_start
scene.render.film_transparent = {transparent}
scene.render.image_settings.file_format = "PNG"
scene.render.image_settings.color_mode = "RGBA" if {transparent} else "RGB"
scene.cycles.device = "CPU"
scene.cycles.samples = {samples}
scene.cycles.use_denoising = {denoise}
scene.eevee.taa_render_samples = {samples}

cube = bpy.data.objects["Cube"]
last = max(frame_end, frame_start + 1)
for frame, x, turn in ((frame_start, -2.0, 0.0), (last, 2.0, 3.14159)):
    cube.location = (x, 0.0, 0.0)
    cube.rotation_euler = (0.0, 0.0, turn)
    cube.keyframe_insert(data_path="location", frame=frame)
    cube.keyframe_insert(data_path="rotation_euler", frame=frame)

if crash_at_frame is not None:
    text = bpy.data.texts.new("framefarm_crash.py")
    text.write(
        "import os, signal, bpy\n"
        f"CRASH_AT_FRAME = {{crash_at_frame}}\n"
        "def framefarm_crash(scene, *args):\n"
        "    if scene.frame_current == CRASH_AT_FRAME:\n"
        "        os.kill(os.getpid(), signal.SIGSEGV)\n"
        "bpy.app.handlers.frame_change_pre.append(framefarm_crash)\n"
    )
    text.use_module = True

bpy.ops.wm.save_as_mainfile(filepath=path)
"#,
        frame_start = options.frame_start,
        frame_end = options.frame_end,
        width = options.width,
        height = options.height,
        transparent = python_bool(options.transparent),
        samples = options.samples,
        denoise = python_bool(options.denoise),
    )
}
