//! The history under an S3 prefix and the report published to S3, against moto's S3:
//! conditional writes (never a replacement), reads that name a corrupt object, pruning,
//! and `firedrill report --history s3://… --publish s3://…` through the real binary.

use firedrill::history::{RunFiles, S3Store, Store};

use crate::aws_kill::firedrill;
use crate::moto;
use crate::report_fixture::{AS_OF, folder, history};
use crate::support::{root, stderr, stdout};

const BUCKET: &str = "drill-evidence";

async fn bucket(s3: &aws_sdk_s3::Client) {
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
}

#[tokio::test]
async fn an_s3_history_is_written_once_read_back_and_pruned() {
    let (_guard, url) = moto::moto().await;
    let s3 = moto::setup_clients(&url).s3;
    bucket(&s3).await;
    let store = Store::S3(S3Store::new(s3.clone(), BUCKET, "team/history/"));
    let results: Vec<_> = history()
        .into_iter()
        .filter(|r| r.scenario == "payments-pitr")
        .collect();
    let files = RunFiles {
        journal: Some("{}\n".into()),
        report: Some("<!doctype html>".into()),
    };
    for result in &results {
        store.put(result, &files).await.unwrap();
    }
    let again = store.put(&results[0], &files).await.unwrap_err();
    assert!(again.to_string().contains("results are never replaced"), "{again}");
    s3.put_object()
        .bucket(BUCKET)
        .key("team/history/payments-pitr/broken.json")
        .body(b"{\"schema_version\": 1, \"run".to_vec().into())
        .send()
        .await
        .unwrap();
    let loaded = store.load().await.unwrap();
    assert_eq!(loaded.results.len(), 24);
    assert_eq!(loaded.results[0].result, results[0], "read back as written");
    assert_eq!(loaded.unreadable.len(), 1);
    assert_eq!(
        loaded.unreadable[0].name,
        "s3://drill-evidence/team/history/payments-pitr/broken.json"
    );
    assert!(
        loaded.unreadable[0].problem.contains("ends early"),
        "{:?}",
        loaded.unreadable
    );
    let key = &loaded.results[0].key;
    let deleted = store.delete_run(key).await.unwrap();
    assert_eq!(deleted.len(), 3, "result, journal and report: {deleted:?}");
    assert_eq!(store.load().await.unwrap().results.len(), 23);
}

#[tokio::test]
async fn the_report_reads_s3_and_is_published_with_its_content_types() {
    let (_guard, url) = moto::moto().await;
    let s3 = moto::setup_clients(&url).s3;
    bucket(&s3).await;
    let store = Store::S3(S3Store::new(s3.clone(), BUCKET, "history"));
    let results: Vec<_> = history().into_iter().filter(|r| r.scenario != "orders-db").collect();
    for result in &results {
        store.put(result, &RunFiles::default()).await.unwrap();
    }
    let out = tempfile::tempdir().unwrap();
    let scenarios = folder().join("scenarios");
    let output = firedrill(
        &[
            "report",
            "--history",
            "s3://drill-evidence/history",
            "--scenarios",
            scenarios.to_str().unwrap(),
            "--as-of",
            AS_OF,
            "--out",
            out.path().to_str().unwrap(),
            "--publish",
            "s3://drill-evidence/site/",
        ],
        &url,
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let printed = stdout(&output);
    assert!(
        printed.contains("published: s3://drill-evidence/site/index.html (https://drill-evidence.s3.us-east-1.amazonaws.com/site/index.html)"),
        "{printed}"
    );
    let pages = 1 + 5 + results.len();
    assert!(printed.contains(&format!("wrote {pages} pages")), "{printed}");
    let listed = s3
        .list_objects_v2()
        .bucket(BUCKET)
        .prefix("site/")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.key_count(), Some(pages as i32));
    for key in ["site/index.html", "site/scenarios/storefront-full.html"] {
        let head = s3.head_object().bucket(BUCKET).key(key).send().await.unwrap();
        assert_eq!(head.content_type(), Some("text/html; charset=utf-8"), "{key}");
    }
    let index = s3
        .get_object()
        .bucket(BUCKET)
        .key("site/index.html")
        .send()
        .await
        .unwrap();
    let index = String::from_utf8(index.body.collect().await.unwrap().to_vec()).unwrap();
    assert_eq!(index, std::fs::read_to_string(out.path().join("index.html")).unwrap());

    let dry = firedrill(
        &[
            "history",
            "prune",
            "--history",
            "s3://drill-evidence/history",
            "--scenario",
            "demo",
            "--dry-run",
        ],
        &url,
    );
    assert!(stdout(&dry).contains("24 run(s) would be deleted"), "{}", stdout(&dry));
    let bad = firedrill(
        &[
            "report",
            "--publish",
            "site/",
            "--history",
            "s3://drill-evidence/history",
        ],
        &url,
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("--publish takes an S3 URL"), "{}", stderr(&bad));
}

#[tokio::test]
async fn a_run_with_an_s3_history_uploads_its_result_journal_and_report() {
    let (_guard, url) = moto::moto().await;
    let s3 = moto::setup_clients(&url).s3;
    bucket(&s3).await;
    let output = firedrill(
        &["run", "scenarios/demo.yaml", "--history", "s3://drill-evidence/runs"],
        &url,
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let listed = s3
        .list_objects_v2()
        .bucket(BUCKET)
        .prefix("runs/demo/")
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys.len(), 3, "{keys:?}");
    let result_key = keys.iter().find(|k| k.ends_with(".json")).unwrap();
    assert!(
        stderr(&output).contains(&format!("stored:  s3://drill-evidence/{result_key}")),
        "{}",
        stderr(&output)
    );
    // The local copy stays where cleanup reads journals.
    let run_id = result_key.trim_start_matches("runs/demo/").trim_end_matches(".json");
    let local = root()
        .join(".firedrill/history/demo")
        .join(format!("{run_id}.journal.jsonl"));
    assert!(local.exists(), "{}", local.display());
    let listing = firedrill(&["history", "list", "--history", "s3://drill-evidence/runs"], &url);
    assert!(stdout(&listing).contains(run_id), "{}", stdout(&listing));
}
