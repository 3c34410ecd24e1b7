//! The session settings that `SET name = value` changes and `SHOW ALL`
//! lists: one place that knows each setting's name, value and meaning.

use std::path::PathBuf;

use quiver_datasource::StorageOptions;
use quiver_execution::memory_pool::ByteSize;
use quiver_expr::{QuiverError, Result};
use quiver_sql::Setting;

use crate::context::SessionState;

/// `value` as a time zone: an IANA name or an offset; an error otherwise.
pub(crate) fn checked_time_zone(value: &str) -> Result<String> {
    let zone = value.trim();
    zone.parse::<arrow::array::timezone::Tz>().map_err(|_| {
        QuiverError::Plan(format!(
            "unknown time zone '{value}': use an IANA name such as 'America/New_York' \
             or 'UTC', or an offset such as '+02:00'"
        ))
    })?;
    Ok(zone.to_string())
}

/// Changes the setting `name` of `state` to `value`:
/// - `memory_limit` (or `max_memory`): the most memory sorts, aggregates
///   and join builds may hold together, e.g. `'4GB'`, `'512MiB'`, or
///   `'unlimited'`;
/// - `temp_directory`: an existing directory for spill files;
/// - `optimizer.disabled_rules`: optimizer rules to skip, comma-separated
///   (`''` runs them all);
/// - `max_recursion_depth`: how many steps a recursive CTE may take
/// - `max_expression_depth`: how deeply expressions and plans may nest
///   (1000);
/// - `TimeZone`: the zone `TIMESTAMP WITH TIME ZONE` values are shown and
///   computed in (`UTC`);
/// - `integer_division`: whether `/` of two integers truncates as `//`
///   does, as in PostgreSQL (`false`: it gives a DOUBLE, as in DuckDB);
/// - S3's: `aws.region`, `aws.endpoint`, `aws.access_key_id`,
///   `aws.secret_access_key`, `aws.session_token`, `aws.allow_http`,
///   `aws.skip_signature`, … and DuckDB's `s3_region`-style names.
pub(crate) fn set(state: &SessionState, name: &str, value: &str) -> Result<()> {
    match name {
        "memory_limit" | "max_memory" => {
            let limit = match value.trim().to_ascii_lowercase().as_str() {
                "unlimited" | "none" => None,
                _ => Some(value.parse::<ByteSize>()?.0),
            };
            state.memory_pool.set_limit(limit);
            Ok(())
        }
        "temp_directory" => {
            let directory = PathBuf::from(value);
            if !directory.is_dir() {
                return Err(QuiverError::Plan(format!(
                    "temp_directory '{value}' is not an existing directory"
                )));
            }
            *state.temp_directory.write().map_err(|_| poisoned())? = directory;
            Ok(())
        }
        "optimizer.disabled_rules" => {
            let rules = state.optimizer.parse_rule_list(value)?;
            *state.disabled_rules.write().map_err(|_| poisoned())? = rules;
            Ok(())
        }
        "max_expression_depth" => set_count(&state.max_expression_depth, name, value),
        "max_recursion_depth" => set_count(&state.max_recursion_depth, name, value),
        "timezone" | "time_zone" => {
            let zone = checked_time_zone(value)?;
            *state.time_zone.write().map_err(|_| poisoned())? = zone;
            Ok(())
        }
        "integer_division" => {
            let on = match value.trim().to_ascii_lowercase().as_str() {
                "true" | "on" | "1" => true,
                "false" | "off" | "0" => false,
                _ => {
                    return Err(QuiverError::Plan(format!(
                        "integer_division must be true or false, not '{value}'"
                    )))
                }
            };
            state
                .integer_division
                .store(on, std::sync::atomic::Ordering::Relaxed);
            Ok(())
        }
        "threads" => Err(QuiverError::Plan(
            "setting 'threads' is fixed when the session starts (the shell's --threads or \
             --partitions, SessionConfig::with_threads or with_target_partitions)"
                .into(),
        )),
        _ if StorageOptions::is_storage_key(name) => state
            .storage
            .write()
            .map_err(|_| poisoned())?
            .set(name, value),
        _ => Err(QuiverError::Plan(format!(
            "unknown setting '{name}'; the settings are memory_limit, temp_directory, \
             optimizer.disabled_rules, max_expression_depth, max_recursion_depth, TimeZone, \
             integer_division and S3's: aws.region, \
             aws.endpoint, aws.access_key_id, aws.secret_access_key, aws.session_token, aws.allow_http, aws.skip_signature (or \
             s3_region, s3_endpoint, ...)"
        ))),
    }
}

/// Sets the count setting `name`, held in `setting`, to `value`.
fn set_count(setting: &std::sync::atomic::AtomicUsize, name: &str, value: &str) -> Result<()> {
    let count = positive_count(name, value)?;
    setting.store(count, std::sync::atomic::Ordering::Relaxed);
    Ok(())
}

/// The positive whole number a count setting `name` is set to.
fn positive_count(name: &str, value: &str) -> Result<usize> {
    value
        .trim()
        .parse::<usize>()
        .ok()
        .filter(|&d| d > 0)
        .ok_or_else(|| {
            QuiverError::Plan(format!(
                "{name} must be a positive whole number, not '{value}'"
            ))
        })
}

/// The error for a settings lock that a panicking thread left behind.
fn poisoned() -> QuiverError {
    QuiverError::Internal("session settings poisoned".into())
}

/// Every setting of `state` with its current value, for `SHOW ALL` (S3
/// credentials are set with `SET` but not shown).
pub(crate) fn list(state: &SessionState) -> Vec<Setting> {
    let memory_limit = match state.memory_pool.limit() {
        Some(bytes) => ByteSize(bytes).to_string(),
        None => "unlimited".to_string(),
    };
    let disabled: Vec<String> = state.disabled_rules().into_iter().collect();
    vec![
        Setting {
            name: "memory_limit",
            value: memory_limit,
            description: "the most memory sorts, aggregates and join builds may hold together",
        },
        Setting {
            name: "max_expression_depth",
            value: state.max_expression_depth().to_string(),
            description: "how many levels expressions and plans may nest",
        },
        Setting {
            name: "max_recursion_depth",
            value: state.max_recursion_depth().to_string(),
            description: "how many steps a recursive CTE may take",
        },
        Setting {
            name: "optimizer.disabled_rules",
            value: disabled.join(","),
            description: "optimizer rules that are skipped, comma-separated",
        },
        Setting {
            name: "temp_directory",
            value: state.temp_directory().display().to_string(),
            description: "where spill files are written",
        },
        Setting {
            name: "TimeZone",
            value: state.time_zone(),
            description: "the zone TIMESTAMP WITH TIME ZONE values are shown and computed in",
        },
        Setting {
            name: "integer_division",
            value: state.integer_division().to_string(),
            description: "whether / of two integers truncates as // does (else it gives a DOUBLE)",
        },
        Setting {
            name: "threads",
            value: state.config.target_partitions.to_string(),
            description: "partitions each scan and exchange aims for (two per thread unless set; \
                          fixed when the session starts)",
        },
    ]
}
