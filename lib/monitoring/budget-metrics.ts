import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

/**
 * The metrics the budget is watched with. RDS publishes proxy metrics per node of the proxy, so
 * counts are summed over the proxy's nodes (the statistic AWS names most useful for them) and
 * latency is averaged.
 */

const ONE_MINUTE = Duration.minutes(1);

/** Connections open on the instance (AWS/RDS `DatabaseConnections`, maximum per minute). */
export function databaseConnectionsMetric(instanceIdentifier: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/RDS',
    metricName: 'DatabaseConnections',
    dimensionsMap: { DBInstanceIdentifier: instanceIdentifier },
    statistic: cloudwatch.Stats.MAXIMUM,
    period: ONE_MINUTE,
  });
}

/** A metric of the proxy (AWS/RDS, dimension `ProxyName`). */
export function proxyMetric(proxyName: string, metricName: string, statistic: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/RDS',
    metricName,
    dimensionsMap: { ProxyName: proxyName },
    statistic,
    period: ONE_MINUTE,
  });
}

/** A metric of one Lambda function (AWS/Lambda, dimension `FunctionName`). */
export function functionMetric(functionName: string, metricName: string, statistic: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/Lambda',
    metricName,
    dimensionsMap: { FunctionName: functionName },
    statistic,
    period: ONE_MINUTE,
  });
}
