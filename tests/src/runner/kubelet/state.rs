//! What the runner knows of a pod's containers while it runs them: each container's current
//! state, its last termination and restart count, and pod-level facts (sandbox ready, finished,
//! disrupted). Plain data; the status builder turns it into the API's `PodStatus`.

use std::collections::BTreeMap;

use jiff::Timestamp;

/// Exit code and reason the kubelet reports for a container that was never found again.
pub const UNKNOWN_EXIT_CODE: i32 = 137;
pub const STATUS_UNKNOWN: &str = "ContainerStatusUnknown";
pub const STATUS_UNKNOWN_MESSAGE: &str =
    "The container could not be located when the pod was terminated";

/// How one run of a container ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Termination {
    pub exit_code: i32,
    /// `Completed`, `Error`, `StartError` or `ContainerStatusUnknown`.
    pub reason: String,
    pub message: Option<String>,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    pub container_id: Option<String>,
}

impl Termination {
    /// A process that exited (or was killed) after starting.
    pub fn exited(
        exit_code: i32,
        started_at: Timestamp,
        finished_at: Timestamp,
        container_id: String,
    ) -> Self {
        Termination {
            exit_code,
            reason: if exit_code == 0 { "Completed" } else { "Error" }.to_owned(),
            message: None,
            started_at: Some(started_at),
            finished_at: Some(finished_at),
            container_id: Some(container_id),
        }
    }

    /// What the kubelet records for a container of a terminated pod that never ran to an end
    /// it saw.
    pub fn unknown() -> Self {
        Termination {
            exit_code: UNKNOWN_EXIT_CODE,
            reason: STATUS_UNKNOWN.to_owned(),
            message: Some(STATUS_UNKNOWN_MESSAGE.to_owned()),
            started_at: None,
            finished_at: None,
            container_id: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContainerState {
    Waiting {
        reason: String,
        message: Option<String>,
    },
    Running {
        started_at: Timestamp,
    },
    Terminated(Termination),
}

impl ContainerState {
    pub fn waiting(reason: &str, message: Option<String>) -> Self {
        ContainerState::Waiting {
            reason: reason.to_owned(),
            message,
        }
    }
}

/// One container of a pod, across its restarts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerRecord {
    pub state: ContainerState,
    pub last_termination: Option<Termination>,
    pub restart_count: i32,
    /// Of the current (or last) run.
    pub container_id: Option<String>,
    pub image_id: Option<String>,
}

impl ContainerRecord {
    pub fn new(state: ContainerState) -> Self {
        ContainerRecord {
            state,
            last_termination: None,
            restart_count: 0,
            container_id: None,
            image_id: None,
        }
    }
}

/// Whether a container is an init container or a regular one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Init,
    Main,
}

impl Role {
    /// The `fieldPath` events use for a container of this role.
    pub fn field_path(self, container: &str) -> String {
        match self {
            Role::Init => format!("spec.initContainers{{{container}}}"),
            Role::Main => format!("spec.containers{{{container}}}"),
        }
    }
}

/// Why the pod is being torn down by the control plane rather than by its own end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disruption {
    pub reason: String,
    pub message: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodRuntime {
    pub init: BTreeMap<String, ContainerRecord>,
    pub main: BTreeMap<String, ContainerRecord>,
    /// Volumes and directories are set up, containers may start.
    pub sandbox_ready: bool,
    pub start_time: Option<Timestamp>,
    /// Nothing in the pod will run again.
    pub terminal: bool,
    pub disruption: Option<Disruption>,
}

impl PodRuntime {
    pub fn records(&mut self, role: Role) -> &mut BTreeMap<String, ContainerRecord> {
        match role {
            Role::Init => &mut self.init,
            Role::Main => &mut self.main,
        }
    }

    /// Sets a container's state, creating its record on first use.
    pub fn set_state(&mut self, role: Role, container: &str, state: ContainerState) {
        self.records(role)
            .entry(container.to_owned())
            .and_modify(|record| record.state = state.clone())
            .or_insert_with(|| ContainerRecord::new(state));
    }
}
