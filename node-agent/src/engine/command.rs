//! Invocations of a generic command engine: its exec array with the placeholders filled in,
//! once per run of frames, or once per frame when an argument uses `{frame}`. Nothing here
//! goes through a shell.

use std::path::Path;

use framefarm_crds::FrameSet;
use framefarm_crds::engine::CommandEngine;
use framefarm_crds::template::{Builtin, Template, TemplateError, Value};

use super::Invocation;

/// Local paths the placeholders stand for.
#[derive(Clone, Copy, Debug)]
pub struct Places<'a> {
    pub scene: &'a Path,
    pub scene_dir: &'a Path,
    pub output_dir: &'a Path,
}

/// The invocations rendering `frames`, in order.
pub fn invocations(
    engine: &CommandEngine,
    places: Places<'_>,
    frames: &FrameSet,
) -> Result<Vec<Invocation>, TemplateError> {
    let templates = engine.templates()?;
    let per_frame = templates
        .iter()
        .flat_map(Template::placeholders)
        .any(|name| name == Builtin::Frame.name());
    let (program, leading) = engine
        .command
        .split_first()
        .map_or(("", &[][..]), |(program, rest)| (program.as_str(), rest));
    let scene = places.scene.display().to_string();
    let scene_dir = places.scene_dir.display().to_string();
    let output_dir = places.output_dir.display().to_string();
    let mut invocations = Vec::new();
    for run in frames.runs() {
        let batches: Vec<(u64, u64, u64)> = if per_frame {
            run.frames().map(|frame| (frame, frame, 1)).collect()
        } else {
            vec![(run.first(), run.last(), run.step())]
        };
        for (first, last, step) in batches {
            let value_of = |name: &str| -> Option<Value<'_>> {
                match Builtin::from_name(name) {
                    Some(Builtin::Scene) => Some(Value::Text(&scene)),
                    Some(Builtin::SceneDir) => Some(Value::Text(&scene_dir)),
                    Some(Builtin::OutputDir) => Some(Value::Text(&output_dir)),
                    Some(Builtin::Frame | Builtin::FrameStart) => Some(Value::Number(first)),
                    Some(Builtin::FrameEnd) => Some(Value::Number(last)),
                    Some(Builtin::FrameStep) => Some(Value::Number(step)),
                    None => engine
                        .parameters
                        .iter()
                        .find(|parameter| parameter.name == name)
                        .map(|parameter| Value::Text(&parameter.value)),
                }
            };
            let mut args: Vec<String> = leading.to_vec();
            for template in &templates {
                args.push(template.render(value_of)?);
            }
            invocations.push(Invocation {
                program: program.into(),
                args,
            });
        }
    }
    Ok(invocations)
}

#[cfg(test)]
mod tests {
    use super::*;
    use framefarm_crds::engine::EngineParameter;
    use framefarm_crds::template::ArgType;
    use std::path::PathBuf;

    fn engine(args: &[&str]) -> CommandEngine {
        CommandEngine {
            image: "registry.example.com/tool:1".into(),
            command: vec!["/usr/bin/tool".into(), "render".into()],
            args: args.iter().map(|arg| (*arg).to_owned()).collect(),
            parameters: vec![EngineParameter {
                name: "quality".into(),
                arg_type: ArgType::Natural,
                value: "90".into(),
            }],
        }
    }

    fn run(engine: &CommandEngine, frames: &str) -> Vec<Vec<String>> {
        let scene = PathBuf::from("/w/scene/a.scn");
        let scene_dir = PathBuf::from("/w/scene");
        let output_dir = PathBuf::from("/w/out");
        let places = Places {
            scene: &scene,
            scene_dir: &scene_dir,
            output_dir: &output_dir,
        };
        invocations(engine, places, &FrameSet::parse(frames).unwrap())
            .unwrap()
            .into_iter()
            .map(|invocation| {
                assert_eq!(invocation.program, "/usr/bin/tool");
                invocation.args
            })
            .collect()
    }

    #[test]
    fn without_frame_the_program_runs_once_per_run() {
        let engine = engine(&[
            "{scene}",
            "-s",
            "{frame_start}",
            "-e",
            "{frame_end}",
            "-j",
            "{frame_step}",
            "-o",
            "{output_dir}/f_{frame_start:04}",
        ]);
        let calls = run(&engine, "1-9x4,20");
        assert_eq!(calls.len(), 2);
        assert_eq!(
            calls[0],
            [
                "render",
                "/w/scene/a.scn",
                "-s",
                "1",
                "-e",
                "9",
                "-j",
                "4",
                "-o",
                "/w/out/f_0001"
            ]
        );
        assert_eq!(calls[1][2..8], ["-s", "20", "-e", "20", "-j", "1"]);
    }

    #[test]
    fn with_frame_the_program_runs_once_per_frame_with_parameters() {
        let engine = engine(&[
            "{scene_dir}/a.scn",
            "--quality={quality}",
            "{output_dir}/{frame:04}.png",
        ]);
        let calls = run(&engine, "3-5");
        assert_eq!(calls.len(), 3);
        assert_eq!(
            calls[2],
            [
                "render",
                "/w/scene/a.scn",
                "--quality=90",
                "/w/out/0005.png"
            ]
        );
    }
}
