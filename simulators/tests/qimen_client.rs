//! The Qimen/WDT client against the Qimen simulator over real HTTP: trade push idempotency by tid,
//! logistics sync loop, stock, authentication failures mapped to TOP codes, retries on
//! 5xx / 429 / timeout / transient TOP codes, no retry on permanent codes, and pacing.

// Test fixtures and helpers panic on broken setup by design.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use secrecy::SecretString;
use switchyard_domain::{Currency, Money};
use switchyard_partners::policy::PolicyConfig;
use switchyard_partners::qimen::wire::{
    LogisticsAck, LogisticsSyncItem, StockChange, StockChangeAck, StockQuery, StockRow,
    WdtOrderLine, WdtTrade,
};
use switchyard_partners::qimen::{
    QimenClient, QimenConfig, QimenError, SignMethod, TradeList, WdtTradeStatus,
};
use switchyard_simulators::faults::{FaultSettings, SimulatorHandle};
use switchyard_simulators::qimen::{QimenSimulator, QimenSimulatorConfig, QIMEN_PATH};

const SECRET: &str = "qimen-sim-secret";

async fn start() -> (QimenSimulator, SimulatorHandle) {
    let sim = QimenSimulator::new(QimenSimulatorConfig {
        app_key: "21345678".into(),
        app_secret: SECRET.into(),
        target_app_key: "wdt-target".into(),
        sid: "wdt2".into(),
        wdt_appkey: "wdt2-ot".into(),
    });
    let handle = sim.spawn().await.unwrap();
    (sim, handle)
}

fn config(handle: &SimulatorHandle, secret: &str, policy: PolicyConfig) -> QimenConfig {
    QimenConfig {
        gateway_url: QimenSimulator::gateway_url(handle),
        app_key: "21345678".into(),
        app_secret: SecretString::from(secret),
        target_app_key: "wdt-target".into(),
        sid: "wdt2".into(),
        wdt_appkey: "wdt2-ot".into(),
        shop_no: "shop-1".into(),
        sign_method: SignMethod::HmacSha256,
        policy,
    }
}

fn fast_policy() -> PolicyConfig {
    PolicyConfig {
        timeout: Duration::from_millis(500),
        rate_per_second: 500.try_into().unwrap(),
        burst: 500.try_into().unwrap(),
        max_retries: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        retry_after_clamp: Duration::from_secs(2),
        allow_private_targets: true, // simulators listen on 127.0.0.1
        ..PolicyConfig::default()
    }
}

fn client(handle: &SimulatorHandle) -> QimenClient {
    QimenClient::new(config(handle, SECRET, fast_policy())).unwrap()
}

fn cny(text: &str) -> Money {
    Money::parse_decimal(text, Currency::CNY).unwrap()
}

fn trade(tid: &str, status: WdtTradeStatus) -> WdtTrade {
    WdtTrade {
        tid: tid.into(),
        trade_status: status,
        pay_status: 2,
        delivery_term: 1,
        trade_time: "2024-05-01 12:00:00".into(),
        pay_time: Some("2024-05-01 12:00:05".into()),
        paid: cny("25.50"),
        post_amount: cny("0"),
        order_list: vec![WdtOrderLine {
            oid: format!("{tid}-1"),
            num: 1,
            price: cny("25.50"),
            status,
            refund_status: 0,
            goods_no: "G1".into(),
            spec_no: "G1-S".into(),
            goods_name: "Tea".into(),
        }],
    }
}

fn shipment(rec_id: i64) -> LogisticsSyncItem {
    LogisticsSyncItem {
        rec_id,
        tid: format!("T{rec_id}"),
        logistics_no: format!("SF{rec_id}"),
        logistics_type: 1,
        consign_time: "2024-05-02 10:00:00".into(),
        oids: format!("T{rec_id}-1"),
        logistics_name: "SF".into(),
        sync_status: 0,
    }
}

#[tokio::test]
async fn trade_push_counts_new_and_changed_trades_by_tid() {
    let (sim, handle) = start().await;
    let client = client(&handle);
    let first = TradeList::new(vec![
        trade("T1", WdtTradeStatus::Paid),
        trade("T2", WdtTradeStatus::Paid),
    ])
    .unwrap();
    let answer = client.trade_push(&first, false).await.unwrap();
    assert_eq!((answer.new_count, answer.chg_count), (2, 0));
    let again = TradeList::new(vec![
        trade("T2", WdtTradeStatus::Closed),
        trade("T3", WdtTradeStatus::Paid),
    ])
    .unwrap();
    let answer = client.trade_push(&again, true).await.unwrap();
    assert_eq!((answer.new_count, answer.chg_count), (1, 1));
    let trades = sim.trades();
    assert_eq!(trades.len(), 3);
    assert_eq!(trades["T2"].trade_status, WdtTradeStatus::Closed);
    assert_eq!(trades["T1"].paid, cny("25.50"));
    handle.shutdown().await;
}

#[test]
fn a_trade_list_holds_one_to_fifty_trades() {
    assert!(TradeList::new(vec![]).is_err());
    let fifty: Vec<_> = (0..50)
        .map(|i| trade(&format!("T{i}"), WdtTradeStatus::Paid))
        .collect();
    assert!(TradeList::new(fifty.clone()).is_ok());
    let mut fifty_one = fifty;
    fifty_one.push(trade("T50", WdtTradeStatus::Paid));
    assert!(TradeList::new(fifty_one).is_err());
}

#[tokio::test]
async fn logistics_sync_loops_until_every_shipment_is_acknowledged() {
    let (sim, handle) = start().await;
    let client = client(&handle);
    for rec_id in 1..=3 {
        sim.add_pending_shipment(shipment(rec_id));
    }
    let mut synced = Vec::new();
    loop {
        let page = client.logistics_sync_query(2).await.unwrap();
        if page.trades.is_empty() {
            break;
        }
        assert!(page.trades.len() <= 2);
        let acks: Vec<_> = page
            .trades
            .iter()
            .map(|t| LogisticsAck {
                rec_id: t.rec_id,
                status: 0,
                message: String::new(),
            })
            .collect();
        synced.extend(page.trades.iter().map(|t| t.logistics_no.clone()));
        client.logistics_sync_ack(acks).await.unwrap();
    }
    assert_eq!(synced, ["SF1", "SF2", "SF3"]);
    assert!(sim.pending_shipments().is_empty());
    assert_eq!(sim.logistics_acks().len(), 3);
    let err = client.logistics_sync_ack(vec![]).await.unwrap_err();
    assert!(matches!(err, QimenError::InvalidRequest(_)));
    handle.shutdown().await;
}

#[tokio::test]
async fn stock_query_and_stock_change_acknowledgement() {
    let (sim, handle) = start().await;
    let client = client(&handle);
    sim.set_stock(vec![StockRow {
        spec_no: "G1-S".into(),
        goods_no: "G1".into(),
        stock_num: 7.0,
        warehouse_no: "W1".into(),
    }]);
    let query = StockQuery {
        start_time: "2024-05-01 00:00:00".into(),
        end_time: "2024-05-01 01:00:00".into(),
        page_no: 0,
        page_size: 50,
    };
    let page = client.stock_query(&query).await.unwrap();
    assert_eq!(page.total_count, 1);
    assert_eq!(page.stocks[0].stock_num, 7.0);

    sim.add_stock_change(StockChange {
        rec_id: 9,
        goods_id: "g".into(),
        spec_id: "s".into(),
        sync_stock: 7,
        stock_change_count: 3,
    });
    let changes = client.stock_change_query(10).await.unwrap();
    assert_eq!(changes.stock_change_list.len(), 1);
    let change = &changes.stock_change_list[0];
    client
        .stock_change_ack(vec![StockChangeAck {
            rec_id: change.rec_id,
            sync_stock: change.sync_stock,
            stock_change_count: change.stock_change_count,
        }])
        .await
        .unwrap();
    assert!(client
        .stock_change_query(10)
        .await
        .unwrap()
        .stock_change_list
        .is_empty());
    assert_eq!(sim.stock_change_acks().len(), 1);
    handle.shutdown().await;
}

#[tokio::test]
async fn transport_faults_and_transient_gateway_codes_are_retried() {
    let (sim, handle) = start().await;
    let client = client(&handle);
    sim.faults().set(FaultSettings {
        fail_next: 2,
        ..FaultSettings::default()
    });
    client.logistics_sync_query(10).await.unwrap();
    assert_eq!(sim.faults().hits(QIMEN_PATH), 3);

    sim.faults().set(FaultSettings {
        throttle_next: 1,
        retry_after_secs: 1,
        ..FaultSettings::default()
    });
    client.logistics_sync_query(10).await.unwrap();

    sim.faults().set(FaultSettings {
        hang_next: 1,
        hang_ms: 2_000,
        ..FaultSettings::default()
    });
    client.logistics_sync_query(10).await.unwrap();

    sim.faults().reset();
    sim.inject_errors("7", Some("accesscontrol.limited-by-app-access-count"), 1);
    sim.inject_errors("15", Some("isp.remote-service-timeout"), 1);
    let list = TradeList::new(vec![trade("T1", WdtTradeStatus::Paid)]).unwrap();
    let answer = client.trade_push(&list, false).await.unwrap();
    assert_eq!(answer.new_count, 1);
    assert_eq!(
        sim.faults().hits(QIMEN_PATH),
        3,
        "two transient codes, then success"
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn permanent_gateway_codes_are_not_retried() {
    let (sim, handle) = start().await;
    let client = client(&handle);
    sim.inject_errors("15", Some("isv.invalid-parameter"), 1);
    let err = client.logistics_sync_query(10).await.unwrap_err();
    match &err {
        QimenError::Refused(failure) => {
            assert_eq!(failure.sub_code.as_deref(), Some("isv.invalid-parameter"))
        }
        other => panic!("expected Refused, got {other:?}"),
    }
    assert!(!err.is_retryable());
    assert_eq!(sim.faults().hits(QIMEN_PATH), 1);
    handle.shutdown().await;
}

#[tokio::test]
async fn a_scripted_erp_refusal_is_a_permanent_qimen_failure_and_pushes_are_kept_as_received() {
    let (sim, handle) = start().await;
    let client = client(&handle);
    sim.inject_business_errors("isv.invalid-parameter", "spec_no", 1);
    let trades = TradeList::new(vec![trade("T9", WdtTradeStatus::Paid)]).unwrap();
    let err = client.trade_push(&trades, true).await.unwrap_err();
    match &err {
        QimenError::Refused(failure) => {
            assert_eq!(failure.code, "isv.invalid-parameter");
            assert_eq!(failure.sub_code.as_deref(), Some("spec_no"));
        }
        other => panic!("expected Refused, got {other:?}"),
    }
    assert!(!err.is_retryable());
    assert!(
        sim.trade_pushes().is_empty(),
        "a refused push reaches no ERP"
    );
    client.trade_push(&trades, true).await.unwrap();
    let pushes = sim.trade_pushes();
    assert_eq!(pushes.len(), 1);
    assert_eq!(
        (pushes[0].shop_no.as_str(), pushes[0].switch),
        ("shop-1", 1)
    );
    assert_eq!(pushes[0].trade_list, trades.trades());
    handle.shutdown().await;
}

#[tokio::test]
async fn a_wrong_secret_is_refused_with_code_25_once() {
    let (sim, handle) = start().await;
    let client = QimenClient::new(config(&handle, "not-the-secret", fast_policy())).unwrap();
    let err = client.logistics_sync_query(10).await.unwrap_err();
    match &err {
        QimenError::Refused(failure) => assert_eq!(failure.code, "25"),
        other => panic!("expected Refused, got {other:?}"),
    }
    assert!(!err.is_retryable());
    assert_eq!(sim.auth_failures(), ["25"]);
    assert_eq!(sim.faults().hits(QIMEN_PATH), 1);
    handle.shutdown().await;
}

#[tokio::test]
async fn a_burst_is_paced_to_the_configured_rate() {
    let (sim, handle) = start().await;
    let policy = PolicyConfig {
        rate_per_second: 20.try_into().unwrap(),
        burst: 1.try_into().unwrap(),
        ..fast_policy()
    };
    let client = QimenClient::new(config(&handle, SECRET, policy)).unwrap();
    let calls: u32 = 41;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..calls {
        let client = client.clone();
        tasks.push(tokio::spawn(
            async move { client.logistics_sync_query(1).await },
        ));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    // The first call goes at once; the other 40 are spaced 50 ms apart: ~2 s for 20 calls/s.
    let rate = f64::from(calls - 1) / elapsed;
    assert!(
        rate <= 22.0,
        "paced to at most 20/s (+10 %), measured {rate:.1}/s"
    );
    assert!(
        rate >= 14.0,
        "generous lower bound on a shared machine, measured {rate:.1}/s"
    );
    assert_eq!(sim.faults().hits(QIMEN_PATH), u64::from(calls));
    handle.shutdown().await;
}
