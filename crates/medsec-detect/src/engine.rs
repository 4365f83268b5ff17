//! The Sigma detector: the loaded rules compiled into `rsigma-eval`,
//! fed medsec's events through [`SigmaView`], its results turned into
//! [`Hit`]s.
//!
//! Every detection rule runs in a plain [`Engine`]; only the hits of the
//! rules correlations count go on to a [`CorrelationEngine`] that holds
//! the correlations (and those rules, to know them by id and name). The
//! correlation engine looks each detection it is given up in a list of
//! every rule it holds, a linear search by id that cost a seventh of the
//! detection time when it held the whole SigmaHQ set.

use std::collections::HashMap;

use medsec_logs::Event;
use rsigma_eval::{
    CorrelationAction, CorrelationConfig, CorrelationEngine, Engine, EvaluationResult,
    LogSourceExtractor, ResultBody,
};
use rsigma_parser::SigmaCollection;

use crate::eval::Evaluator;
use crate::rules::{Origin, RuleSet};
use crate::view::{LOGSOURCE_FIELDS, SigmaView, event_json};
use crate::{Detector, Error, FieldValue, Hit, HitKind};

/// The most correlation groups kept, across all correlation rules.
pub const MAX_STATE_ENTRIES: usize = 100_000;
/// The most events (or values) kept per correlation group and window.
pub const MAX_GROUP_ENTRIES: usize = 10_000;

/// How the engine runs.
#[derive(Clone, Debug)]
pub struct Options {
    /// Skip rules whose log source contradicts what the event certainly
    /// is (a `product: windows` rule on a Linux authentication event). Off,
    /// every rule sees every event (as `rsigma` and SQL backends do).
    pub logsource_routing: bool,
    /// Put the whole event into each hit.
    pub include_event: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            logsource_routing: true,
            include_event: true,
        }
    }
}

/// What is known of a rule for its hits.
#[derive(Clone, Debug)]
struct RuleInfo {
    origin: Origin,
}

/// Sigma rules over medsec events, with correlation state.
pub struct SigmaDetector {
    /// Every detection rule, compiled (pipelines and filters applied).
    plain: Engine,
    /// Our evaluation loop over `plain`'s rules (see [`crate::eval`]).
    evaluator: Evaluator,
    /// The correlations and the detection rules they use; `None` without
    /// correlations.
    engine: Option<CorrelationEngine>,
    /// The keys of the rules correlations use.
    used: std::collections::HashSet<String>,
    rules: HashMap<String, RuleInfo>,
    /// Rules whose matches only feed correlations (see
    /// [`SigmaDetector::new_generate_as_specified`]).
    silent: std::collections::HashSet<String>,
    options: Options,
    detection_rules: usize,
    correlation_rules: usize,
    filters: usize,
}

impl SigmaDetector {
    /// Compiles the loaded rules. Only rules that passed loading are in
    /// `set`, so this fails only on what loading cannot see alone.
    pub fn new(set: &RuleSet, options: Options) -> Result<SigmaDetector, Error> {
        SigmaDetector::build(set, options, true)
    }

    /// As [`SigmaDetector::new`], but a rule that correlations use reports
    /// no matches of its own unless a correlation says `generate: true`,
    /// as the correlation specification has it: what live detection runs,
    /// so that a correlation's building blocks raise no alerts of their
    /// own. (`new` keeps them, like the `rsigma` CLI, for hunting.)
    pub fn new_generate_as_specified(
        set: &RuleSet,
        options: Options,
    ) -> Result<SigmaDetector, Error> {
        SigmaDetector::build(set, options, false)
    }

    fn build(
        set: &RuleSet,
        options: Options,
        emit_detections: bool,
    ) -> Result<SigmaDetector, Error> {
        // A correlation fires once when its condition is met, then counts
        // afresh for the group (rather than firing again on every further
        // event of the window).
        // Memory is bounded: at most MAX_STATE_ENTRIES groups across all
        // correlations (the oldest evicted first), and at most
        // MAX_GROUP_ENTRIES events or values kept per group and window (the
        // oldest dropped: a threshold above it can only under-count).
        let config = CorrelationConfig {
            action_on_match: CorrelationAction::Reset,
            max_state_entries: MAX_STATE_ENTRIES,
            max_group_entries: Some(MAX_GROUP_ENTRIES),
            ..CorrelationConfig::default()
        };
        let extractor = options.logsource_routing.then(|| {
            LogSourceExtractor::new().with_field_names(
                LOGSOURCE_FIELDS[0],
                LOGSOURCE_FIELDS[1],
                LOGSOURCE_FIELDS[2],
            )
        });
        // The rules correlations use, by index in `set.rules`.
        let mut used = vec![false; set.rules.len()];
        for (c, _) in &set.correlations {
            for reference in &c.rules {
                for (i, (r, _)) in set.rules.iter().enumerate() {
                    if r.id.as_deref() == Some(reference.as_str())
                        || r.name.as_deref() == Some(reference.as_str())
                    {
                        used[i] = true;
                    }
                }
            }
        }
        let filters: Vec<_> = set.filters.iter().map(|(f, _)| f.clone()).collect();
        let mut plain = Engine::new();
        for p in &set.pipelines {
            plain.add_pipeline(p.clone());
        }
        plain.set_logsource_extractor(extractor.clone());
        plain
            .add_collection(&SigmaCollection {
                rules: set.rules.iter().map(|(r, _)| r.clone()).collect(),
                correlations: Vec::new(),
                filters: filters.clone(),
                errors: Vec::new(),
            })
            .map_err(|e| Error::Engine(e.to_string()))?;
        let engine = if set.correlations.is_empty() {
            None
        } else {
            let mut engine = CorrelationEngine::new(config);
            for p in &set.pipelines {
                engine.add_pipeline(p.clone());
            }
            engine.set_logsource_extractor(extractor);
            engine
                .add_collection(&SigmaCollection {
                    rules: set
                        .rules
                        .iter()
                        .zip(&used)
                        .filter(|(_, u)| **u)
                        .map(|((r, _), _)| r.clone())
                        .collect(),
                    correlations: set.correlations.iter().map(|(c, _)| c.clone()).collect(),
                    filters,
                    errors: Vec::new(),
                })
                .map_err(|e| Error::Engine(e.to_string()))?;
            Some(engine)
        };
        let mut rules = HashMap::new();
        for (r, origin) in &set.rules {
            let info = RuleInfo {
                origin: origin.clone(),
            };
            rules.insert(key(r.id.as_deref(), &r.title), info);
        }
        for (c, origin) in &set.correlations {
            rules.insert(
                key(c.id.as_deref(), &c.title),
                RuleInfo {
                    origin: origin.clone(),
                },
            );
        }
        // The rules correlations use without `generate: true`, by their
        // key. (rsigma-eval's own filter compares references with rule ids
        // only, and misses references by name.)
        let mut silent = std::collections::HashSet::new();
        if !emit_detections {
            let mut loud = std::collections::HashSet::new();
            for (c, _) in &set.correlations {
                for reference in &c.rules {
                    let Some((r, _)) = set.rules.iter().find(|(r, _)| {
                        r.id.as_deref() == Some(reference.as_str())
                            || r.name.as_deref() == Some(reference.as_str())
                    }) else {
                        continue;
                    };
                    let k = key(r.id.as_deref(), &r.title);
                    if c.generate {
                        loud.insert(k);
                    } else {
                        silent.insert(k);
                    }
                }
            }
            silent.retain(|k| !loud.contains(k));
        }
        let used = set
            .rules
            .iter()
            .zip(&used)
            .filter(|(_, u)| **u)
            .map(|((r, _), _)| key(r.id.as_deref(), &r.title))
            .collect();
        let evaluator = Evaluator::new(plain.rules(), options.logsource_routing);
        Ok(SigmaDetector {
            plain,
            evaluator,
            engine,
            used,
            rules,
            silent,
            options,
            detection_rules: set.rules.len(),
            correlation_rules: set.correlations.len(),
            filters: set.filters.len(),
        })
    }

    /// The detection results of our evaluation loop and of rsigma-eval's
    /// `Engine::evaluate` on the same event (with a logsource extractor
    /// reading the view's logsource when routing), for tests that they
    /// agree.
    #[cfg(test)]
    pub(crate) fn both(&mut self, event: &Event) -> (Vec<EvaluationResult>, Vec<EvaluationResult>) {
        let view = SigmaView::new(event);
        let ours = self.evaluator.evaluate(self.plain.rules(), &view);
        let theirs = self.plain.evaluate(&view);
        (ours, theirs)
    }

    /// Detection rules, correlation rules and filters in force.
    pub fn counts(&self) -> (usize, usize, usize) {
        (self.detection_rules, self.correlation_rules, self.filters)
    }

    /// Correlation state entries kept (bounded by the engine's limits).
    pub fn state_entries(&self) -> usize {
        self.engine
            .as_ref()
            .map_or(0, CorrelationEngine::state_count)
    }

    /// The correlation state as JSON, to be saved with the place in the
    /// event stream it belongs to (live detection's checkpoint).
    pub fn export_state(&self) -> Result<String, Error> {
        let state = match &self.engine {
            Some(engine) => engine.export_state(),
            // The state of an engine without correlations, as such an
            // engine exports it (so that a saved state reads back the
            // same whichever way the rules are split).
            None => CorrelationEngine::new(CorrelationConfig::default()).export_state(),
        };
        serde_json::to_string(&state)
            .map_err(|e| Error::Engine(format!("saving the correlation state: {e}")))
    }

    /// Restores a state [`SigmaDetector::export_state`] saved. Groups of
    /// correlation rules no longer loaded are dropped; `Ok(false)` when
    /// the state is of an incompatible engine version (nothing restored).
    pub fn import_state(&mut self, json: &str) -> Result<bool, Error> {
        let snapshot: rsigma_eval::CorrelationSnapshot = serde_json::from_str(json)
            .map_err(|e| Error::Engine(format!("reading the saved correlation state: {e}")))?;
        Ok(match &mut self.engine {
            Some(engine) => engine.import_state(snapshot),
            None => CorrelationEngine::new(CorrelationConfig::default()).import_state(snapshot),
        })
    }
}

fn key(id: Option<&str>, title: &str) -> String {
    id.unwrap_or(title).to_owned()
}

/// A rule's key without copying it.
fn key_of<'a>(id: &'a Option<String>, title: &'a str) -> &'a str {
    id.as_deref().unwrap_or(title)
}

impl Detector for SigmaDetector {
    fn detect(&mut self, event: &Event, out: &mut Vec<Hit>) {
        let view = SigmaView::new(event);
        let secs = event.timestamp.div_euclid(1_000_000_000);
        let mut results: Vec<EvaluationResult> = self.evaluator.evaluate(self.plain.rules(), &view);
        if let Some(engine) = &mut self.engine {
            let counted: Vec<EvaluationResult> = results
                .iter()
                .filter(|r| {
                    self.used
                        .contains(key_of(&r.header.rule_id, &r.header.rule_title))
                })
                .cloned()
                .collect();
            // Correlations see time pass on every event (their windows
            // expire), counted hits or not.
            let correlated = engine.process_with_detections(&view, counted, secs);
            results.extend(
                correlated
                    .into_iter()
                    .filter(|r| matches!(r.body, ResultBody::Correlation(_))),
            );
        }
        for r in results {
            let header = r.header;
            if matches!(r.body, ResultBody::Detection(_))
                && !self.silent.is_empty()
                && self
                    .silent
                    .contains(key_of(&header.rule_id, &header.rule_title))
            {
                continue;
            }
            let info = self.rules.get(key_of(&header.rule_id, &header.rule_title));
            let attack = crate::attack_techniques(&header.tags);
            let (kind, matched, group, aggregated, timespan) = match r.body {
                ResultBody::Detection(d) => (
                    HitKind::Detection,
                    d.matched_fields
                        .into_iter()
                        .map(|m| FieldValue {
                            field: m.field,
                            value: m.value,
                        })
                        .collect(),
                    Vec::new(),
                    None,
                    None,
                ),
                ResultBody::Correlation(c) => (
                    HitKind::Correlation(c.correlation_type.as_str().to_owned()),
                    Vec::new(),
                    c.group_key
                        .into_iter()
                        .map(|(field, value)| FieldValue {
                            field,
                            value: value.into(),
                        })
                        .collect(),
                    Some(c.aggregated_value),
                    Some(c.timespan_secs),
                ),
            };
            out.push(Hit {
                rule_id: header.rule_id,
                title: header.rule_title,
                level: header.level.map(|l| l.as_str().to_owned()),
                tags: header.tags,
                attack,
                kind,
                matched,
                group,
                aggregated,
                timespan_secs: timespan,
                rule_file: info.map(|i| i.origin.path.clone()),
                rule_line: info.and_then(|i| i.origin.line),
                event_id: event.id.to_string(),
                event: self.options.include_event.then(|| event_json(event)),
            });
        }
    }
}
