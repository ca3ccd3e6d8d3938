import * as http from 'http';
import * as https from 'https';

/** The parts of a CloudFormation custom resource event the guard uses. */
export interface CustomResourceEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: Record<string, string>;
}

/** CloudFormation shows the reason in the stack events; it keeps the response under 4 KiB. */
const MAX_REASON = 3000;

/** Sends the result to the pre-signed URL CloudFormation waits on. */
export async function sendResponse(
  event: CustomResourceEvent, physicalId: string, status: 'SUCCESS' | 'FAILED', reason: string, data: Record<string, string> = {},
): Promise<void> {
  const body = JSON.stringify({
    Status: status,
    Reason: reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON)}... (the whole table is in the function's log)` : reason,
    PhysicalResourceId: physicalId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    Data: data,
  });
  const url = new URL(event.ResponseURL);
  const transport = url.protocol === 'http:' ? http : https;
  await new Promise<void>((resolve, reject) => {
    const request = transport.request(url, {
      method: 'PUT',
      headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) },
    }, response => {
      response.resume();
      response.on('end', () => (response.statusCode === 200 ? resolve() : reject(new Error(`The response URL answered ${response.statusCode}`))));
    });
    request.on('error', reject);
    request.end(body);
  });
}
